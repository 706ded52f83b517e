import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { AUTO_REVIEW_NOTE, shouldHoldForReview } from "../../src/review/review";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { BENGALURU, checkout, MUMBAI, pay, stockedSku } from "../support/marketplace";

describe("the review rule", () => {
  it("holds orders at or above the threshold; 0 turns it off", () => {
    expect(shouldHoldForReview(5_000_000, 5_000_000)).toBe(true);
    expect(shouldHoldForReview(4_999_999, 5_000_000)).toBe(false);
    expect(shouldHoldForReview(99_000_000, 0)).toBe(false);
  });
});

async function paidTwoVendorOrder(flagFirst: boolean) {
  const skus = [
    await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], vendor: { dispatchSlaHours: 12 } }),
    await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 5 }], vendor: { dispatchSlaHours: 30 } }),
  ];
  const ops = await tokenFor("ops");
  const shopper = await newCustomer();
  const placed = await checkout(
    shopper.token,
    skus.map((s) => ({ skuId: s.skuId, qty: 1 })),
  );
  const orderId = placed.body.order.id as string;
  if (flagFirst) await api("POST", `/v1/orders/${orderId}/flag`, { token: ops, body: { note: "new account" } });
  const paid = await pay(shopper.token, placed.body.payment.id);
  const vendors = await Promise.all(skus.map((s) => tokenFor("vendor", { vendorId: s.vendorId })));
  const subOf = (i: number) => paid.body.subOrders.find((s: any) => s.vendorId === skus[i]!.vendorId);
  return { orderId, ops, shopper, vendors, subOf };
}

const sla = async (subId: string) =>
  (await env.DB.prepare("select sla_dispatch_by from sub_orders where id = ?").bind(subId).first<any>())
    .sla_dispatch_by as string | null;

describe("the review rule at checkout", () => {
  it("holds an order at the configured value until ops approve it; cheaper orders go straight through", async () => {
    const dear = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 2 }], priceMinor: 5_000_000 });
    const cheap = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 2 }], priceMinor: 4_900_000 });
    const shopper = await newCustomer();
    const vendor = await tokenFor("vendor", { vendorId: dear.vendorId });

    const held = await checkout(shopper.token, [{ skuId: dear.skuId, qty: 1 }]);
    expect(held.status).toBe(201);
    // The shopper is told its order is held, not why.
    expect(held.body.order.review).toEqual({ held: true, note: null });
    const paid = await pay(shopper.token, held.body.payment.id);
    const subId = paid.body.subOrders[0].id as string;
    expect(await sla(subId)).toBeNull();
    expect((await api("GET", `/v1/sub-orders/${subId}`, { token: vendor })).status).toBe(404);
    const timeline = (await api("GET", `/v1/orders/${held.body.order.id}`, { token: ADMIN })).body.timeline;
    expect(timeline.find((e: any) => e.type === "order.flagged")).toMatchObject({
      actor: { role: "system", id: "review-rule" },
      reason: AUTO_REVIEW_NOTE,
    });

    await api("POST", `/v1/orders/${held.body.order.id}/approve`, { token: ADMIN });
    expect(await sla(subId)).not.toBeNull();
    expect((await api("GET", `/v1/sub-orders/${subId}`, { token: vendor })).status).toBe(200);

    const through = await checkout(shopper.token, [{ skuId: cheap.skuId, qty: 1 }]);
    expect(through.body.order.review).toBeNull();
  });
});

describe("flag and unflag", () => {
  it("unflag releases a held order like approve: each vendor's SLA starts then, by its own hours", async () => {
    const { orderId, ops, vendors, subOf } = await paidTwoVendorOrder(true);
    for (const i of [0, 1]) {
      expect(await sla(subOf(i).id)).toBeNull();
      expect((await api("GET", `/v1/sub-orders/${subOf(i).id}`, { token: vendors[i]! })).status).toBe(404);
    }
    const before = Date.now();
    const released = await api("POST", `/v1/orders/${orderId}/unflag`, { token: ops });
    expect(released.status).toBe(200);
    expect(released.body.review.held).toBe(false);
    for (const [i, hours] of [
      [0, 12],
      [1, 30],
    ] as const) {
      const deadline = Date.parse((await sla(subOf(i).id))!);
      expect(deadline).toBeGreaterThanOrEqual(before + hours * 3_600_000 - 2_000);
      expect(deadline).toBeLessThanOrEqual(Date.now() + hours * 3_600_000 + 1_000);
      expect((await api("GET", `/v1/sub-orders/${subOf(i).id}`, { token: vendors[i]! })).status).toBe(200);
    }
  });

  it("flagging a paid order hides it again; approving restarts its clock from the approval", async () => {
    const { orderId, ops, vendors, subOf } = await paidTwoVendorOrder(false);
    const running = await sla(subOf(0).id);
    expect(running).not.toBeNull();
    const flagged = await api("POST", `/v1/orders/${orderId}/flag`, { token: ops, body: { note: "chargeback" } });
    expect(flagged.body.review).toEqual({ held: true, note: "chargeback" });
    const queue = await api("GET", "/v1/sub-orders", { token: vendors[0]! });
    expect(queue.body.items.map((s: any) => s.id)).not.toContain(subOf(0).id);
    expect((await api("POST", `/v1/sub-orders/${subOf(0).id}/confirm`, { token: vendors[0]! })).status).toBe(404);
    const renoted = await api("POST", `/v1/orders/${orderId}/flag`, { token: ops, body: { note: "chargeback, 2" } });
    expect(renoted.body.review.note).toBe("chargeback, 2");
    const before = Date.now();
    await api("POST", `/v1/orders/${orderId}/approve`, { token: ADMIN });
    const restarted = Date.parse((await sla(subOf(0).id))!);
    expect(restarted).toBeGreaterThanOrEqual(before + 12 * 3_600_000 - 1_000);
    expect(restarted).toBeLessThanOrEqual(Date.now() + 12 * 3_600_000);
    const types = (await api("GET", `/v1/orders/${orderId}`, { token: ADMIN })).body.timeline.map((e: any) => e.type);
    expect(types.filter((t: string) => t === "order.flagged").length).toBeGreaterThanOrEqual(1);
    expect(types).toContain("order.approved");
  });

  it("is for ops and admins; a flag needs a note", async () => {
    const { orderId, ops, shopper, vendors } = await paidTwoVendorOrder(false);
    for (const token of [shopper.token, vendors[0]!]) {
      expect((await api("POST", `/v1/orders/${orderId}/flag`, { token, body: { note: "x" } })).status).toBe(403);
      expect((await api("POST", `/v1/orders/${orderId}/unflag`, { token })).status).toBe(403);
    }
    expect((await api("POST", `/v1/orders/${orderId}/flag`, { token: ops, body: {} })).status).toBe(422);
    expect((await api("POST", "/v1/orders/ord_missing/approve", { token: ops })).status).toBe(404);
  });
});

describe("bulk over orders", () => {
  it("answers each id as its single route would, and one failure does not stop the rest", async () => {
    const ops = await tokenFor("ops");
    const a = await paidTwoVendorOrder(false);
    const b = await paidTwoVendorOrder(false);
    // b has shipped part: it can no longer be cancelled as a whole.
    const sub = b.subOf(0).id;
    await api("POST", `/v1/sub-orders/${sub}/confirm`, { token: ops });
    const barcode = (await api("GET", `/v1/sub-orders/${sub}`, { token: ops })).body.lines[0].barcode;
    await api("POST", `/v1/sub-orders/${sub}/pack`, { token: ops, body: { scanned: [barcode] } });
    await api("POST", `/v1/sub-orders/${sub}/dispatch`, { token: ops, body: { carrier: "generic", awb: "BULK-0001" } });
    const r = await api("POST", "/v1/orders/bulk", {
      token: ops,
      body: { action: "cancel", ids: [a.orderId, "ord_missing", b.orderId], reason: "suspected_fraud" },
    });
    expect(r.status).toBe(200);
    expect(r.body.results.map((x: any) => [x.id, x.ok])).toEqual([
      [a.orderId, true],
      ["ord_missing", false],
      [b.orderId, false],
    ]);
    expect(r.body.results[1].problem).toMatchObject({ status: 404, code: "NOT_FOUND" });
    expect(r.body.results[2].problem).toMatchObject({ status: 409, code: "ILLEGAL_TRANSITION", allowed: [] });
    expect((await api("GET", `/v1/orders/${a.orderId}`, { token: ADMIN })).body.status).toBe("cancelled");
    expect((await api("GET", `/v1/orders/${b.orderId}`, { token: ADMIN })).body.status).toBe("partially_dispatched");
  });
});
