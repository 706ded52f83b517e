import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cancelOrder } from "../../src/cancellation/order-cancellation";
import { cancelSubOrder } from "../../src/cancellation/sub-order-cancellation";
import { retryPendingRefunds } from "../../src/jobs/pending-refunds";
import { type Call, d1Batches, d1Statements, lost } from "../support/bindings";
import { BENGALURU, stockedSku } from "../support/marketplace";
import { seedPaidOrders } from "../support/seed-orders";

/** D1 gone for the batch that records a refund, and only for it. */
const refundWriteFails = d1Batches((batch: Call) => async (...args) => {
  const statements = args[0] as { statement?: string }[];
  return statements.some((s) => /insert into "refunds"/i.test(s.statement ?? "")) ? lost() : batch(...args);
});

describe("a whole order's cancel whose refund throws", () => {
  it("still writes the order's cancellation for shopper and vendors, and leaves the refund to the job", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const [order] = await seedPaidOrders(s.skuId, 1);
    const now = new Date();
    const outcome = await cancelOrder(refundWriteFails, undefined, {
      orderId: order!.orderId,
      reason: "changed_mind",
      actor: { role: "customer", id: order!.customerId },
      now,
    });
    expect(outcome).toMatchObject({ ok: true, changed: true });
    const told = await env.DB.prepare("select payload from outbox where dedupe_key = ?")
      .bind(`order.cancelled:${order!.orderId}`)
      .first<{ payload: string }>();
    expect(told).not.toBeNull();
    // Nothing was paid yet, so nothing is promised.
    expect(JSON.parse(told!.payload)).toMatchObject({ refundedMinor: 0 });
    expect(
      await env.DB.prepare("select count(*) as n from order_events where order_id = ? and type = 'order.cancelled'")
        .bind(order!.orderId)
        .first<{ n: number }>(),
    ).toEqual({ n: 1 });

    // The job pays it once its wait is over, and tells the shopper.
    expect(await retryPendingRefunds(env, new Date(now.getTime() + 10 * 60_000))).toMatchObject({ refunded: 1 });
    const sent = await env.DB.prepare("select payload from outbox where order_id = ? and type = 'order.refund_sent'")
      .bind(order!.orderId)
      .all<{ payload: string }>();
    expect(sent.results).toHaveLength(1);
  });

  it("tells of its refund in the batch that writes the order's cancellation, not in a later write", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const [order] = await seedPaidOrders(s.skuId, 1);
    // Any later write to tell of the refund on the message finds D1 gone.
    const tellFails = d1Statements((call: Call, sql) => (/json_set/i.test(sql) ? lost : call));
    const outcome = await cancelOrder(tellFails, undefined, {
      orderId: order!.orderId,
      reason: "changed_mind",
      actor: { role: "customer", id: order!.customerId },
      now: new Date(),
    });
    expect(outcome).toMatchObject({ ok: true, changed: true });
    const told = await env.DB.prepare("select payload from outbox where dedupe_key = ?")
      .bind(`order.cancelled:${order!.orderId}`)
      .first<{ payload: string }>();
    const refunded = await env.DB.prepare("select sum(amount_minor) as n from refunds where order_id = ?")
      .bind(order!.orderId)
      .first<{ n: number }>();
    expect(refunded!.n).toBeGreaterThan(0);
    expect(JSON.parse(told!.payload)).toMatchObject({ refundedMinor: refunded!.n });
  });

  it("a vendor's cancel whose refund D1 fails to record answers as cancelled, the refund owed and counted", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const [order] = await seedPaidOrders(s.skuId, 1);
    const outcome = await cancelSubOrder(refundWriteFails, undefined, {
      subOrderId: order!.subOrderIds[0]!,
      reason: "cannot fulfil",
      actor: { role: "vendor", id: s.vendorId },
      now: new Date(),
    });
    expect(outcome).toMatchObject({ ok: true, changed: true, refundedMinor: 0, refundPending: true });
    const owed = await env.DB.prepare(
      "select attempts, settled_at, last_error from pending_refunds where sub_order_id = ?",
    )
      .bind(order!.subOrderIds[0])
      .first<{ attempts: number; settled_at: string | null; last_error: string }>();
    expect(owed).toMatchObject({ attempts: 1, settled_at: null, last_error: expect.stringContaining("Network") });
  });
});
