import { describe, expect, it } from "vitest";
import { chargeRange } from "../../src/domain/chargeable";
import { stripeProvider } from "../../src/gateways/stripe";
import { fakeRequests, stripeSettings } from "../stripe-fake/control";
import { newCustomer, uid } from "../support/api";
import { BENGALURU, checkout, stockedSku, stockOf } from "../support/marketplace";

const createdFor = async (customerId: string) =>
  (await fakeRequests("/v1/payment_intents")).filter(
    (r) => r.method === "POST" && (r.params.metadata as Record<string, string> | undefined)?.customerId === customerId,
  );

describe("order totals Stripe cannot charge", () => {
  it("the range checkout keeps to is the one Stripe's API holds to", async () => {
    const provider = stripeProvider(stripeSettings());
    const { minMinor, maxMinor } = chargeRange("INR");
    const create = (amountMinor: number) =>
      provider.create({
        orderId: uid("ord"),
        customerId: uid("cus"),
        amount: { amountMinor, currency: "INR" },
        idempotencyKey: uid("key"),
      });
    expect((await create(minMinor)).ok).toBe(true);
    expect((await create(maxMinor)).ok).toBe(true);
    expect(await create(minMinor - 1)).toMatchObject({
      ok: false,
      message: expect.stringContaining("amount_too_small"),
    });
    expect(await create(maxMinor + 1)).toMatchObject({
      ok: false,
      message: expect.stringContaining("amount_too_large"),
    });
  });

  it("refuses a cart past eight digits with 422 before any PaymentIntent, and gives the stock back", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: 99_999_999 });
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }]);
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.body).toMatchObject({ code: "VALIDATION_FAILED", errors: [{ path: "lines" }] });
    expect(await createdFor(shopper.customerId)).toEqual([]);
    expect((await stockOf(s.skuId)).totals).toMatchObject({ available: 5, held: 0 });
  });

  it("refuses a cart under the minimum charge the same way", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: 10 });
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.body.errors[0].path).toBe("lines");
    expect(await createdFor(shopper.customerId)).toEqual([]);
    expect((await stockOf(s.skuId)).totals).toMatchObject({ available: 5, held: 0 });
  });
});
