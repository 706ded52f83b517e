import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, uid } from "../support/api";
import { pay } from "../support/marketplace";
import { nearAndDearOffers, order } from "./routing.fixtures";

describe("a shopper's orders after ops moved a shipment to another vendor", () => {
  it("lists the order with the shipments its view shows, not the emptied one, nor its events", async () => {
    const { product, b } = await nearAndDearOffers();
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ productId: product.id, qty: 2 }]);
    expect(placed.status).toBe(201);
    const orderId = placed.body.order.id as string;
    const sub = placed.body.order.subOrders[0];
    await pay(shopper.token, placed.body.payment.id);
    const moved = await api("POST", `/v1/sub-orders/${sub.id}/reassign`, {
      token: ADMIN,
      headers: { "Idempotency-Key": uid("ra-") },
      body: { target: { skuId: b.skuId }, reason: "moved" },
    });
    expect(moved.status).toBe(200);

    const view = await api("GET", `/v1/orders/${orderId}`, { token: shopper.token });
    const shown = view.body.subOrders.map((s: any) => s.id);
    expect(shown).not.toContain(sub.id);
    // Its timeline speaks only of shipments it shows: the move shows as the new one's arrival.
    const named = view.body.timeline.flatMap((e: any) => (e.subOrderId ? [e.subOrderId] : []));
    expect(named.length).toBeGreaterThan(0);
    for (const id of named) expect(shown).toContain(id);
    expect(view.body.timeline.map((e: any) => e.type)).toContain("sub_order.reassigned_in");
    const opsView = await api("GET", `/v1/orders/${orderId}`, { token: ADMIN });
    expect(opsView.body.timeline.map((e: any) => e.subOrderId)).toContain(sub.id);
    const list = await api("GET", "/v1/orders", { token: shopper.token });
    const listed = list.body.items.find((o: any) => o.id === orderId);
    expect(listed.subOrders.map((s: any) => s.id)).toEqual(shown);
    expect(listed.subOrders).toEqual([expect.objectContaining({ vendorId: b.vendorId, status: "paid" })]);
    // Ops still see every sub-order, the emptied one included.
    const opsList = await api("GET", `/v1/orders?limit=200`, { token: ADMIN });
    const forOps = opsList.body.items.find((o: any) => o.id === orderId);
    expect(forOps.subOrders.map((s: any) => s.id)).toContain(sub.id);
  });
});
