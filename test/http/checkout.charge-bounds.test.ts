import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, newCustomer, uid } from "../support/api";
import { BENGALURU, checkout, shipTo, stockedSku, stockOf } from "../support/marketplace";

/** Stripe's eight-digit cap on an amount, and its minimum charge in INR (₹0.50). */
const MAX_CHARGE = 99_999_999;
const MIN_CHARGE_INR = 50;

const quote = (token: string, lines: { skuId: string; qty: number }[]) =>
  api("POST", "/v1/routing/quote", { token, body: { lines, shipTo: shipTo() } });

async function paymentsOf(customerId: string) {
  const row = await env.DB.prepare(
    "select count(*) as n from payments p join orders o on o.id = p.order_id where o.customer_id = ?",
  )
    .bind(customerId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

function expectUnchargeable(r: { status: number; body: any; headers: Headers }) {
  expect(r.status, JSON.stringify(r.body)).toBe(422);
  expect(r.headers.get("content-type")).toContain("application/problem+json");
  expect(r.body.code).toBe("VALIDATION_FAILED");
  expect(r.body.errors[0].path).toBe("lines");
  expect(r.body.errors[0].message).toContain("order total");
}

describe("order totals the payment provider cannot charge", () => {
  it("refuses a total past eight digits with 422 on lines, holding nothing and opening no payment", async () => {
    // No rate card: shipping is free, so the total is the goods alone, 199,999,998.
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: MAX_CHARGE });
    const shopper = await newCustomer();
    const key = uid("idem-");
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }], key);
    expectUnchargeable(r);
    // Said in rupees, as the shopper reads prices, with the advice.
    expect(r.body.errors[0].message).toBe(
      "the order total, ₹19,99,999.98, must be from ₹0.50 to ₹9,99,999.99; split it into smaller orders",
    );
    expect((await stockOf(s.skuId)).totals).toMatchObject({ onHand: 5, available: 5, held: 0 });
    expect(await paymentsOf(shopper.customerId)).toBe(0);
    expect((await api("GET", "/v1/orders", { token: shopper.token })).body.items).toEqual([]);

    // The same key again is refused the same way, not answered from a half-made attempt.
    const again = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }], key);
    expectUnchargeable(again);
    expect((await stockOf(s.skuId)).totals).toMatchObject({ available: 5, held: 0 });
  });

  it("refuses a total under the currency's minimum charge", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: 10 });
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    expectUnchargeable(r);
    expect((await stockOf(s.skuId)).totals).toMatchObject({ available: 5, held: 0 });
    expect(await paymentsOf(shopper.customerId)).toBe(0);
  });

  it("the quote answers the same 422, so the shopper is told before checkout", async () => {
    const dear = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: MAX_CHARGE });
    const cheap = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: 10 });
    const shopper = await newCustomer();
    expectUnchargeable(await quote(shopper.token, [{ skuId: dear.skuId, qty: 2 }]));
    expectUnchargeable(await quote(shopper.token, [{ skuId: cheap.skuId, qty: 1 }]));
    const fine = await quote(shopper.token, [{ skuId: dear.skuId, qty: 1 }]);
    expect(fine.status, JSON.stringify(fine.body)).toBe(200);
    expect(fine.body.total.amountMinor).toBe(MAX_CHARGE);
  });

  it("sells one unit at the price cap, and a free item in a cart that totals the minimum", async () => {
    const dear = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: MAX_CHARGE });
    const shopper = await newCustomer();
    const one = await checkout(shopper.token, [{ skuId: dear.skuId, qty: 1 }]);
    expect(one.status, JSON.stringify(one.body)).toBe(201);
    expect(one.body.order.total.amountMinor).toBe(MAX_CHARGE);

    const free = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: 0 });
    const paid = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: MIN_CHARGE_INR });
    const cart = [
      { skuId: free.skuId, qty: 1 },
      { skuId: paid.skuId, qty: 1 },
    ];
    const q = await quote(shopper.token, cart);
    expect(q.status, JSON.stringify(q.body)).toBe(200);
    const r = await checkout(shopper.token, cart);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.order.total.amountMinor).toBe(MIN_CHARGE_INR);
  });
});
