import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cancelOrder } from "../../src/cancellation/order-cancellation";
import { cancelSubOrder } from "../../src/cancellation/sub-order-cancellation";
import { retryPendingRefunds } from "../../src/jobs/pending-refunds";
import { tellCancelRefund } from "../../src/money/owed-refunds";
import { type Call, d1Batches, lost, stockCalls } from "../support/bindings";
import { BENGALURU, paidOrderOfTwoVendors, stockedSku } from "../support/marketplace";
import { seedPaidOrders } from "../support/seed-orders";

type Statements = { statement?: string }[];

/** D1 gone once, for the batch that writes the order's own cancel event and message (written only if it is cancelled). */
function finalWriteFailsOnce(): Env {
  let failed = false;
  return d1Batches((batch: Call) => async (...args) => {
    const sqls = (args[0] as Statements).map((s) => s.statement ?? "");
    const orderMessage = sqls.some((q) => /insert into "outbox"/i.test(q) && /"status" = 'cancelled'/i.test(q));
    if (orderMessage && !failed) {
      failed = true;
      return lost();
    }
    return batch(...args);
  });
}

/** D1 gone once, for the first read after a sub-order's cancel landed: the Worker stops before the refunds are paid. */
function rereadFailsOnce(): Env {
  let landed = false;
  let failed = false;
  return d1Batches((batch: Call) => async (...args) => {
    const sqls = (args[0] as Statements).map((s) => s.statement ?? "");
    if (landed && !failed && sqls.every((q) => /^\s*select/i.test(q))) {
      failed = true;
      return lost();
    }
    const out = await batch(...args);
    if (sqls.some((q) => /^update "sub_orders"/i.test(q))) landed = true;
    return out;
  });
}

const cancelled = async (orderId: string) =>
  env.DB.prepare(
    `select (select count(*) from outbox where dedupe_key = 'order.cancelled:' || ?1) as messages,
       (select count(*) from order_events where order_id = ?1 and type = 'order.cancelled') as events,
       (select payload from outbox where dedupe_key = 'order.cancelled:' || ?1) as payload,
       (select count(*) from outbox where order_id = ?1 and type in ('sub_order.cancelled', 'order.refund_sent')) as others,
       (select count(*) from refunds where order_id = ?1) as refunds,
       (select coalesce(sum(amount_minor), 0) from refunds where order_id = ?1) as refundedMinor,
       (select count(*) from pending_refunds where order_id = ?1 and settled_at is null) as owed,
       (select status from orders where id = ?1) as status`,
  )
    .bind(orderId)
    .first<{
      messages: number;
      events: number;
      payload: string | null;
      others: number;
      refunds: number;
      refundedMinor: number;
      owed: number;
      status: string;
    }>();

/** A paid order of one sub-order, and its shopper's cancel of it. */
async function paidOrderToCancel() {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
  const [order] = await seedPaidOrders(s.skuId, 1);
  const input = {
    orderId: order!.orderId,
    reason: "changed_mind",
    actor: { role: "customer" as const, id: order!.customerId },
    now: new Date(),
  };
  return { order, input };
}

describe("a paid order's cancel retried after it stopped before the order's own event", () => {
  it("writes the order's event and message once, telling of the refund the first call paid", async () => {
    const { order, input } = await paidOrderToCancel();
    await expect(cancelOrder(finalWriteFailsOnce(), undefined, input)).rejects.toThrow(/Network/);
    // The sub-order's cancel flipped the order and its refund was paid; nobody was told.
    expect(await cancelled(order!.orderId)).toMatchObject({ status: "cancelled", messages: 0, events: 0, refunds: 1 });

    expect(await cancelOrder(env, undefined, input)).toMatchObject({ ok: true, changed: true });
    const after = (await cancelled(order!.orderId))!;
    expect(after).toMatchObject({ messages: 1, events: 1, others: 0, refunds: 1, owed: 0 });
    expect(after.refundedMinor).toBeGreaterThan(0);
    const subOrderId = (await env.DB.prepare("select id from sub_orders where order_id = ?")
      .bind(order!.orderId)
      .first<{ id: string }>())!.id;
    expect(JSON.parse(after.payload!)).toMatchObject({
      orderId: order!.orderId,
      refundedMinor: after.refundedMinor,
      refundsTold: [subOrderId],
    });

    // The first call, had it still been running, tells of the refund it paid: it was told already.
    const paid = { refundedMinor: after.refundedMinor, creditNoteId: null, pending: false };
    await tellCancelRefund(env, subOrderId, `order.cancelled:${order!.orderId}`, paid, new Date());
    expect(await cancelled(order!.orderId)).toEqual(after);

    // Retried again after it finished: nothing is written twice.
    expect(await cancelOrder(env, undefined, input)).toMatchObject({ ok: true, changed: false });
    expect(await cancelled(order!.orderId)).toEqual(after);
  });

  it("a refund the first call never paid is left to the pending-refunds job, which pays it and tells of it", async () => {
    const { order, input } = await paidOrderToCancel();
    await expect(cancelOrder(rereadFailsOnce(), undefined, input)).rejects.toThrow(/Network/);
    expect(await cancelled(order!.orderId)).toMatchObject({ status: "cancelled", messages: 0, refunds: 0, owed: 1 });

    expect(await cancelOrder(env, undefined, input)).toMatchObject({ ok: true, changed: true });
    const after = (await cancelled(order!.orderId))!;
    expect(after).toMatchObject({ messages: 1, events: 1, others: 0, refunds: 0, owed: 1 });
    expect(JSON.parse(after.payload!)).toMatchObject({ refundedMinor: 0, refundsTold: [] });
    expect(await cancelOrder(env, undefined, input)).toMatchObject({ ok: true, changed: false });
    expect(await cancelled(order!.orderId)).toEqual(after);

    // Past the 5 minutes a refund never tried is left to the request that owes it.
    await retryPendingRefunds(env, new Date(Date.now() + 6 * 60_000));
    const paid = (await cancelled(order!.orderId))!;
    expect(paid).toMatchObject({ messages: 1, others: 1, refunds: 1, owed: 0 });
    expect(JSON.parse(paid.payload!)).toMatchObject({ refundedMinor: 0 });
  });

  it("one sub-order landed and the next one's release failed: the retry cancels the rest and speaks for the order", async () => {
    const o = await paidOrderOfTwoVendors();
    // The first SKU released passes; the other's object is unreachable.
    let first: string | null = null;
    const secondReleaseFails = stockCalls({
      release: (call, skuId) => {
        first ??= skuId;
        return skuId === first ? call : lost;
      },
    });
    const input = {
      orderId: o.orderId,
      reason: "changed_mind",
      actor: { role: "customer" as const, id: o.shopper.customerId },
      now: new Date(),
    };
    await expect(cancelOrder(secondReleaseFails, undefined, input)).rejects.toThrow(/Network/);
    expect(await cancelled(o.orderId)).toMatchObject({ messages: 0, refunds: 0, owed: 1 });

    expect(await cancelOrder(env, undefined, input)).toMatchObject({ ok: true, changed: true });
    const after = (await cancelled(o.orderId))!;
    // Its own part's refund is paid and told on the order's message; the first part's, never tried,
    // is left to the pending-refunds job.
    expect(after).toMatchObject({ status: "cancelled", messages: 1, events: 1, others: 0, refunds: 1, owed: 1 });
    expect(JSON.parse(after.payload!)).toMatchObject({ refundedMinor: after.refundedMinor });

    expect(await cancelOrder(env, undefined, input)).toMatchObject({ ok: true, changed: false });
    expect(await cancelled(o.orderId)).toEqual(after);
  });

  it("an order its vendors cancelled part by part, each announced, gets no order message from a later cancel", async () => {
    const o = await paidOrderOfTwoVendors();
    for (const [subOrderId, vendorId] of [
      [o.subA, o.a.vendorId],
      [o.subB, o.b.vendorId],
    ] as const) {
      const r = await cancelSubOrder(env, undefined, {
        subOrderId,
        reason: "cannot fulfil",
        actor: { role: "vendor", id: vendorId },
        now: new Date(),
      });
      expect(r).toMatchObject({ ok: true, changed: true });
    }
    const before = await cancelled(o.orderId);
    expect(before).toMatchObject({ status: "cancelled", messages: 0, events: 0 });
    expect(
      await cancelOrder(env, undefined, {
        orderId: o.orderId,
        reason: "changed_mind",
        actor: { role: "customer", id: o.shopper.customerId },
        now: new Date(),
      }),
    ).toMatchObject({ ok: true, changed: false });
    expect(await cancelled(o.orderId)).toEqual(before);
  });
});
