import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";

describe("orders held for review", () => {
  it("are hidden from vendors until approved, and the SLA clock starts at approval", async () => {
    const s = await stockedSku({
      warehouses: [{ at: BENGALURU, onHand: 5 }],
      vendor: { dispatchSlaHours: 24, nudgeLeadHours: 6 },
    });
    const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
    const ops = await tokenFor("ops");
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    const orderId = placed.body.order.id;
    const flagged = await api("POST", `/v1/orders/${orderId}/flag`, {
      token: ops,
      body: { note: "address looks odd" },
    });
    expect(flagged.status).toBe(200);
    expect(flagged.body.review).toEqual({ held: true, note: "address looks odd" });
    const paid = await pay(shopper.token, placed.body.payment.id);
    const subId = paid.body.subOrders[0].id;
    expect(paid.body.subOrders[0].slaDispatchBy).toBeNull();
    expect((await api("GET", `/v1/sub-orders/${subId}`, { token: vendor })).status).toBe(404);
    expect((await api("POST", `/v1/sub-orders/${subId}/confirm`, { token: vendor })).status).toBe(404);
    expect((await api("GET", "/v1/sub-orders", { token: vendor })).body.items).toEqual([]);
    expect((await api("POST", `/v1/orders/${orderId}/approve`, { token: vendor })).status).toBe(403);
    expect((await api("POST", `/v1/orders/${orderId}/approve`, { token: shopper.token })).status).toBe(403);

    const before = Date.now();
    const approved = await api("POST", `/v1/orders/${orderId}/approve`, { token: ops });
    expect(approved.status).toBe(200);
    expect(approved.body.review.held).toBe(false);
    const sla = Date.parse(approved.body.subOrders[0].slaDispatchBy);
    expect(sla).toBeGreaterThanOrEqual(before + 24 * 3_600_000 - 2_000);
    expect((await api("POST", `/v1/sub-orders/${subId}/confirm`, { token: vendor })).status).toBe(200);
    const timeline = approved.body.timeline.map((e: any) => e.type);
    expect(timeline).toEqual(expect.arrayContaining(["order.flagged", "order.approved"]));
    expect((await api("POST", "/v1/orders/ord_nope/flag", { token: ADMIN, body: { note: "x" } })).status).toBe(404);
  });
});
