import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { refreshRollups } from "../../src/analytics/refresh";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";

/** Refreshes until nothing is left, as the analytics-rollups job and its queue continuations would. */
async function drain() {
  for (let run = await refreshRollups(env, new Date()); run.continued; run = await refreshRollups(env, new Date()));
}

const platformTotals = async () => (await api("GET", "/v1/analytics/platform", { token: ADMIN })).body.totals;

/** A paid order of one unit at the review threshold (wrangler.toml's REVIEW_THRESHOLD_MINOR), held by the rule. */
async function paidHeldOrder() {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 3 }], priceMinor: 5_000_000 });
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
  expect(placed.status).toBe(201);
  expect(placed.body.order.review).toEqual({ held: true, note: null });
  const paid = await pay(shopper.token, placed.body.payment.id);
  expect(paid.status).toBe(200);
  const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
  const report = async (path = "") => {
    const r = await api("GET", `/v1/analytics/vendors/${s.vendorId}${path}`, { token: vendor });
    expect(r.status).toBe(200);
    return r.body;
  };
  return {
    orderId: paid.body.id as string,
    sub: paid.body.subOrders[0] as { id: string; total: { amountMinor: number } },
    totalMinor: placed.body.order.total.amountMinor as number,
    report,
  };
}

describe("an order held for review in its vendor's analytics", () => {
  it("is left out of the vendor's figures until ops approve it, and counts in the platform's all along", async () => {
    await drain();
    const before = await platformTotals();
    const { orderId, sub, totalMinor, report } = await paidHeldOrder();
    await drain();

    expect((await report()).totals).toMatchObject({ salesMinor: 0, units: 0, subOrders: 0 });
    expect((await report("/products")).items).toEqual([]);
    expect((await report("/inventory")).totals.unitsSold).toBe(0);
    const held = await platformTotals();
    expect(held.gmvMinor - before.gmvMinor).toBe(totalMinor);
    expect(held.subOrders - before.subOrders).toBe(1);

    expect((await api("POST", `/v1/orders/${orderId}/approve`, { token: await tokenFor("ops") })).status).toBe(200);
    await drain();
    expect((await report()).totals).toMatchObject({ salesMinor: sub.total.amountMinor, units: 1, subOrders: 1 });
    expect((await report("/products")).items).toMatchObject([{ units: 1 }]);
    expect((await report("/inventory")).totals.unitsSold).toBe(1);
    expect((await platformTotals()).gmvMinor).toBe(held.gmvMinor);
  });

  it("cancelled as suspected fraud while held, is no sub-order and no cancellation of its vendor's", async () => {
    await drain();
    const before = await platformTotals();
    const { orderId, report } = await paidHeldOrder();
    const cancelled = await api("POST", `/v1/orders/${orderId}/cancel`, {
      token: await tokenFor("ops"),
      body: { reason: "suspected_fraud" },
    });
    expect(cancelled.status).toBe(200);
    await drain();

    expect((await report()).totals).toMatchObject({ subOrders: 0, cancelledSubOrders: 0, cancellationRateBps: 0 });
    expect((await platformTotals()).cancelledSubOrders - before.cancelledSubOrders).toBe(1);
  });

  it("dispatched by ops while held, gives no time to dispatch to its vendor; the platform's has it", async () => {
    await drain();
    const before = await platformTotals();
    const { sub, report } = await paidHeldOrder();
    const ops = await tokenFor("ops");
    expect((await api("POST", `/v1/sub-orders/${sub.id}/confirm`, { token: ops })).status).toBe(200);
    const barcode = (await api("GET", `/v1/sub-orders/${sub.id}`, { token: ops })).body.lines[0].barcode;
    expect(
      (await api("POST", `/v1/sub-orders/${sub.id}/pack`, { token: ops, body: { scanned: [barcode] } })).status,
    ).toBe(200);
    const awb = uid("AWB-").toUpperCase();
    const sent = await api("POST", `/v1/sub-orders/${sub.id}/dispatch`, {
      token: ops,
      body: { carrier: "generic", awb },
    });
    expect(sent.status).toBe(200);
    await drain();

    const vendor = await report();
    expect(vendor.totals).toMatchObject({ subOrders: 0, dispatchedSubOrders: 0 });
    expect(vendor.timeToDispatch.count).toBe(0);
    const platform = (await api("GET", "/v1/analytics/platform", { token: ADMIN })).body;
    expect(platform.totals.dispatchedSubOrders - before.dispatchedSubOrders).toBe(1);
    expect(platform.timeToDispatch.count).toBeGreaterThanOrEqual(1);
  });
});
