import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";

/** One unpaid one-unit order of a new SKU, with its shopper and checkout's payment object. */
async function unpaidOrder() {
  const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: 1_500 });
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: sku.skuId, qty: 1 }]);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  return { sku, shopper, orderId: placed.body.order.id as string, payment: placed.body.payment };
}

const paymentOf = (orderId: string, token: string) => api("GET", `/v1/orders/${orderId}/payment`, { token });

describe("an unpaid order's payment, read again to pay it later", () => {
  it("answers the shopper the payment checkout's 201 carried, and ops and admins too", async () => {
    const o = await unpaidOrder();
    const r = await paymentOf(o.orderId, o.shopper.token);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual(o.payment);
    expect(r.body).toMatchObject({ provider: "simulated", status: "requires_payment" });
    expect(Date.parse(r.body.holdExpiresAt)).toBeGreaterThan(Date.now());
    for (const token of [ADMIN, await tokenFor("ops")])
      expect((await paymentOf(o.orderId, token)).body).toEqual(o.payment);

    // Paid with what the route gave: the dev flow of My orders' Pay button.
    expect((await pay(o.shopper.token, r.body.id)).status).toBe(200);
  });

  it("is 404 to another customer, 403 to a vendor, and 404 for no such order", async () => {
    const o = await unpaidOrder();
    const other = await newCustomer();
    const stolen = await paymentOf(o.orderId, other.token);
    expect(stolen.status).toBe(404);
    expect(JSON.stringify(stolen.body)).not.toContain(o.payment.id);
    expect((await paymentOf(o.orderId, await tokenFor("vendor", { vendorId: o.sku.vendorId }))).status).toBe(403);
    expect((await paymentOf("ord_no_such_order_for_payment", o.shopper.token)).status).toBe(404);
  });

  it("still offers the payment after a failed attempt: the shopper may try again", async () => {
    const o = await unpaidOrder();
    expect((await pay(o.shopper.token, o.payment.id, "failed")).status).toBe(200);
    const r = await paymentOf(o.orderId, o.shopper.token);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(o.payment);
  });

  it("answers a paid order and a cancelled one 409 with their status and nothing to pay with", async () => {
    const paid = await unpaidOrder();
    expect((await pay(paid.shopper.token, paid.payment.id)).status).toBe(200);
    const r = await paymentOf(paid.orderId, paid.shopper.token);
    expect(r.status).toBe(409);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body).toMatchObject({ code: "CONFLICT", orderStatus: "paid", paymentStatus: "paid" });
    expect(r.body).not.toHaveProperty("clientSecret");
    expect(r.body).not.toHaveProperty("id", paid.payment.id);

    const cancelled = await unpaidOrder();
    const c = await api("POST", `/v1/orders/${cancelled.orderId}/cancel`, {
      token: cancelled.shopper.token,
      body: { reason: "changed_mind" },
    });
    expect(c.status).toBe(200);
    const rc = await paymentOf(cancelled.orderId, cancelled.shopper.token);
    expect(rc.status).toBe(409);
    expect(rc.body).toMatchObject({ code: "CONFLICT", orderStatus: "cancelled", paymentStatus: "unpaid" });
    expect(rc.body.detail).toMatch(/cancelled/);
  });
});
