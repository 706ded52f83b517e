import { describe, expect, it } from "vitest";
import { deliver, settleIntent } from "../stripe-fake/control";
import { api, newCustomer } from "../support/api";
import { BENGALURU, checkout, stockedSku } from "../support/marketplace";

describe("an unpaid order's Stripe payment, read again to pay it later", () => {
  it("gives the owner the client secret and publishable key again, and nothing once paid", async () => {
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: sku.skuId, qty: 1 }]);
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const orderId = placed.body.order.id as string;
    const path = `/v1/orders/${orderId}/payment`;

    const again = await api("GET", path, { token: shopper.token });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toEqual(placed.body.payment);
    expect(again.body).toMatchObject({ provider: "stripe", publishableKey: "pk_test_fake" });
    expect(again.body.clientSecret).toMatch(new RegExp(`^${again.body.id}_secret_`));

    const other = await api("GET", path, { token: (await newCustomer()).token });
    expect(other.status).toBe(404);
    expect(JSON.stringify(other.body)).not.toContain(again.body.clientSecret);

    const { event } = await settleIntent(again.body.id, "succeeded");
    expect((await deliver(event)).status).toBe(200);
    const paid = await api("GET", path, { token: shopper.token });
    expect(paid.status).toBe(409);
    expect(paid.body).toMatchObject({ code: "CONFLICT", orderStatus: "paid" });
    expect(JSON.stringify(paid.body)).not.toContain(again.body.clientSecret);
  });
});
