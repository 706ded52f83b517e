import type { SubOrderStatus } from "../contracts/order-status";
import { type Db, database, runBatch, type Statement } from "../db/client";
import {
  cancelOpenSubOrders,
  insertEvent,
  insertEventAndOutboxIfCancelled,
  insertOutbox,
  loadOrderState,
  markCancelledIfAllAre,
  markOrderCancelled,
  type OrderState,
} from "../db/orders";
import { cancelRefundKey, derivedPaymentStatus, refundStatements, setPaymentStatus } from "../db/payments";
import { cancelsLeftUnannounced, refundsUntold } from "../db/sub-orders";
import { sumMinor } from "../domain/money";
import { isBeforeDispatch } from "../domain/order-status";
import type { Actor } from "../domain/principal";
import { isoSeconds } from "../domain/time";
import { dispatchOutbox } from "../gateways/order-events";
import { paymentProvider } from "../gateways/payment-provider";
import type { PaymentStatus } from "../gateways/payments";
import { releaseAll } from "../gateways/stock";
import { payOwedRefund, tellCancelRefund } from "../money/owed-refunds";
import { type Background, finishLater } from "../platform/background";
import { landCancel } from "./sub-order-cancellation";

/** Where work may continue after the answer is sent. */

export type CancelOutcome =
  | { ok: true; orderId: string; changed: boolean }
  | { ok: false; code: "NOT_FOUND"; detail: string }
  | { ok: false; code: "ILLEGAL_TRANSITION"; detail: string; allowed: string[] }
  | { ok: false; code: "CONFLICT"; detail: string; paymentStatus?: PaymentStatus; chargeId?: string }
  | { ok: false; code: "PAYMENT_PROVIDER_ERROR"; detail: string };

/** Who cancels which order, why and when. */
export type CancelOrderInput = { orderId: string; reason: string; actor: Actor; now: Date };

export const skuIdsOf = (agg: OrderState) => [...new Set(agg.lines.map((l) => l.skuId))];

/**
 * The statements that cancel every still-cancellable sub-order and the parent, with the refund
 * (if any) recorded beside them: one batch, so an order is never half cancelled in D1.
 * `refund` is one refund of the whole payment.
 */
export function cancellationStatements(
  db: Db,
  agg: OrderState,
  input: {
    reason: string;
    actor: Actor;
    at: string;
    refund?: { amountMinor: number; providerRef: string };
    /** What this cancellation gives back, for the shopper's message. */
    refundedMinor: number;
  },
): Statement[] {
  const { order, payment } = agg;
  const statements: Statement[] = [cancelOpenSubOrders(db, order.id, input.reason, input.at)];
  if (payment && input.refund) {
    // The provider's refund id is stable per idempotency key, so a replayed refund is counted once.
    statements.push(
      ...refundStatements(db, {
        id: `rf_${input.refund.providerRef}`,
        paymentId: payment.id,
        orderId: order.id,
        subOrderId: null,
        amountMinor: input.refund.amountMinor,
        currency: order.currency,
        reason: input.reason,
        providerRef: input.refund.providerRef,
        at: input.at,
      }),
    );
  }
  const paid = payment && (payment.status === "succeeded" || input.refund);
  statements.push(
    markOrderCancelled(db, order.id, paid ? derivedPaymentStatus(payment.id) : "unpaid", input.at),
    ...orderCancelledRecords(db, agg, input),
  );
  return statements;
}

const orderCancelledKey = (orderId: string) => `order.cancelled:${orderId}`;

/**
 * The order's cancel on its timeline and in the outbox, once per order. `onlyIfCancelled`: each is
 * written only if the order is cancelled by then (after the statement in the same batch that
 * cancels it once no sub-order is left open), so an order a racing change kept open is not
 * announced as cancelled.
 */
function orderCancelledRecords(
  db: Db,
  agg: OrderState,
  input: { reason: string; actor: Actor; at: string; refundedMinor: number; refundsTold?: string[] },
  opts: { onlyIfCancelled: boolean } = { onlyIfCancelled: false },
): [event: Statement, message: Statement] {
  const orderId = agg.order.id;
  const event = {
    orderId,
    type: "order.cancelled",
    at: input.at,
    actorRole: input.actor.role,
    actorId: input.actor.id,
    reason: input.reason,
    dedupeKey: orderCancelledKey(orderId),
  };
  const message = {
    type: "order.cancelled",
    orderId,
    payload: {
      orderId,
      reason: input.reason,
      refundedMinor: input.refundedMinor,
      ...(input.refundsTold ? { refundsTold: input.refundsTold } : {}),
    },
    dedupeKey: orderCancelledKey(orderId),
    createdAt: input.at,
  };
  if (opts.onlyIfCancelled) return insertEventAndOutboxIfCancelled(db, event, message);
  return [insertEvent(db, event), insertOutbox(db, message)];
}

/**
 * Cancels a whole order before anything ships. Unpaid: the payment is cancelled first, and the
 * order only if that worked (a payment that already succeeded is confirmed, not cancelled). Paid:
 * each sub-order is cancelled through the sub-order cancel's own path (stock objects first, then a
 * guarded D1 write, then the refund only where the write landed), so a dispatch or another cancel
 * racing it is settled the same way; then the refunds are paid and the order's event written.
 */
export async function cancelOrder(
  env: Env,
  ctx: Background | undefined,
  input: CancelOrderInput,
): Promise<CancelOutcome> {
  const db = database(env);
  const agg = await loadOrderState(db, input.orderId);
  if (!agg) return { ok: false, code: "NOT_FOUND", detail: "No such order" };
  if (agg.order.status === "cancelled") return finishCancelledOrder(env, ctx, agg, input);
  const shipped = agg.subOrders.filter(
    (s) => !isBeforeDispatch(s.status as SubOrderStatus) && s.status !== "cancelled",
  );
  if (shipped.length > 0) return partlyShipped();
  if (agg.order.status !== "pending_payment") return cancelPaidOrder(env, ctx, agg, input);
  return cancelUnpaidOrder(env, ctx, agg, input);
}

/**
 * The expiry of an unpaid order's hold (the `expire-holds` job): `cancelOrder` for an order still
 * unpaid. One paid since the job read it (its payment's webhook landed in between) is left as it is.
 */
export async function cancelExpiredOrder(
  env: Env,
  ctx: Background | undefined,
  input: CancelOrderInput,
): Promise<CancelOutcome> {
  const agg = await loadOrderState(database(env), input.orderId);
  if (!agg) return { ok: false, code: "NOT_FOUND", detail: "No such order" };
  if (agg.order.status !== "pending_payment") return { ok: true, orderId: agg.order.id, changed: false };
  return cancelUnpaidOrder(env, ctx, agg, input);
}

/** An unpaid order: the payment is cancelled first, and the order only if that worked. */
async function cancelUnpaidOrder(
  env: Env,
  ctx: Background | undefined,
  agg: OrderState,
  input: CancelOrderInput,
): Promise<CancelOutcome> {
  const db = database(env);
  const payment = agg.payment;
  if (payment) {
    const cancelled = await paymentProvider(env).cancel(payment.id);
    if (!cancelled.ok) return { ok: false, code: "PAYMENT_PROVIDER_ERROR", detail: cancelled.message };
    // Anything but a cancelled payment (succeeded, or still processing) may yet bring money: keep the order.
    if (cancelled.value.status !== "canceled") {
      return {
        ok: false,
        code: "CONFLICT",
        detail: `The payment is ${cancelled.value.status}; try again in a moment`,
        paymentStatus: cancelled.value.status,
        chargeId: cancelled.value.chargeId,
      };
    }
  }
  // Nothing of an unpaid order can have shipped, so its holds are released without a race to decide.
  await releaseAll(env, agg.order.holdId, skuIdsOf(agg), input.reason);
  const at = isoSeconds(input.now);
  const statements = cancellationStatements(db, agg, {
    reason: input.reason,
    actor: input.actor,
    at,
    refundedMinor: 0,
  });
  if (payment) statements.push(setPaymentStatus(db, payment.id, "canceled", at));
  await runBatch(db, statements);
  await finishLater(ctx, dispatchOutbox(env, [orderCancelledKey(agg.order.id)], input.now));
  return { ok: true, orderId: agg.order.id, changed: true };
}

/**
 * An order that reads cancelled. A paid order's last sub-order cancel flips it, and its own event
 * and message come after its refunds are paid: a cancel that stopped in between (D1 failing, the
 * Worker stopped) answered 500 and told neither shopper nor vendors, so its retry writes them. The
 * message tells of the refunds recorded for those sub-orders and told nowhere else, and names their
 * sub-orders (`refundsTold`), so a cancel still running that paid one does not tell it again; a
 * refund still owed is the pending-refunds job's, which pays and tells of it. An order cancelled
 * before, or by its sub-orders' own (announced) cancels, is left as it is.
 */
async function finishCancelledOrder(
  env: Env,
  ctx: Background | undefined,
  agg: OrderState,
  input: CancelOrderInput,
): Promise<CancelOutcome> {
  const db = database(env);
  const key = orderCancelledKey(agg.order.id);
  const left = await cancelsLeftUnannounced(db, agg.order.id, key);
  if (left.length === 0) return { ok: true, orderId: agg.order.id, changed: false };
  const untold = await refundsUntold(
    db,
    Object.fromEntries(left.map((id) => [id, `order.refund_sent:${cancelRefundKey(id)}`])),
  );
  const at = isoSeconds(input.now);
  const refundedMinor = sumMinor(untold.map((r) => r.amountMinor));
  const refundsTold = untold.map((r) => r.subOrderId);
  const [event, message] = orderCancelledRecords(
    db,
    agg,
    { ...input, at, refundedMinor, refundsTold },
    { onlyIfCancelled: true },
  );
  const [, written] = (await db.batch([event, message])) as unknown as [unknown, { id: number }[]];
  await finishLater(ctx, dispatchOutbox(env, [key], input.now));
  return { ok: true, orderId: agg.order.id, changed: written.length > 0 };
}

const partlyShipped = (): CancelOutcome => ({
  ok: false,
  code: "ILLEGAL_TRANSITION",
  detail: "Part of this order has been dispatched; return it instead",
  allowed: [],
});

/**
 * How many times a paid order's cancel reads its sub-orders again: a reassignment landing while
 * it runs moves lines into a sub-order it had not read, which the next pass cancels too.
 */
const CANCEL_PASSES = 3;

/**
 * A paid order, sub-order by sub-order (in the order loadOrderState gives, so two whole-order cancels meet
 * in the same place). A sub-order whose units shipped meanwhile refuses; the others are still
 * cancelled, announced one by one and refunded, and the answer says part of the order left. The
 * order's own cancel event is written once every sub-order is cancelled, with what was refunded,
 * and only if the order is cancelled by then; a call that cancelled none of it is a retry's
 * (`finishCancelledOrder`).
 */
async function cancelPaidOrder(
  env: Env,
  ctx: Background | undefined,
  agg: OrderState,
  input: CancelOrderInput,
): Promise<CancelOutcome> {
  const db = database(env);
  let refused = false;
  const landed: string[] = [];
  const held: { keys: string[]; rows: Statement[]; subs: string[] } = { keys: [], rows: [], subs: [] };
  let state: OrderState | null = agg;
  let open = agg.subOrders.filter((s) => s.status !== "cancelled");
  for (let pass = 0; state && open.length > 0 && !refused && pass < CANCEL_PASSES; pass++) {
    for (const sub of open) {
      const r = await landCancel(env, { agg: state, sub }, { subOrderId: sub.id, ...input }, false);
      if (!r.ok) refused = true;
      else if (r.changed) {
        landed.push(sub.id);
        if (r.key && r.announcement) {
          held.keys.push(r.key);
          held.rows.push(r.announcement);
          held.subs.push(sub.id);
        }
      }
    }
    if (refused) break;
    state = await loadOrderState(db, agg.order.id);
    open = state ? state.subOrders.filter((s) => s.status !== "cancelled") : [];
  }
  const stillOpen = !refused && open.length > 0;
  // The order stays open, so no order event will speak for the parts that were cancelled: each is
  // announced as its own cancel would be (the shopper's message, its vendor's feed).
  const announced = refused || stillOpen;
  if (announced) await runBatch(db, held.rows);
  // Paid after every cancel landed, in parallel: each is its own keyed refund (one D1 fails to
  // record stays owed for the job, which tells of it when paid).
  const paid = await Promise.all(landed.map((id) => payOwedRefund(env, id, input.now)));
  if (announced) {
    // Each announcement tells of its refund once it was paid.
    await Promise.all(
      held.keys.map((key, i) =>
        tellCancelRefund(env, held.subs[i]!, key, paid[landed.indexOf(held.subs[i]!)]!, input.now),
      ),
    );
    await finishLater(ctx, dispatchOutbox(env, held.keys, input.now));
  }
  if (refused) return partlyShipped();
  if (stillOpen) {
    return { ok: false, code: "CONFLICT", detail: "The order kept changing while it was being cancelled; try again" };
  }
  // Every part was cancelled by another meanwhile (its vendor, ops, the SLA watcher), each told with
  // its refund: an order message would tell the shopper again, of nothing refunded. Only parts a
  // whole-order cancel left to such a message (one running, or stopped) are told, as a retry would.
  if (landed.length === 0) return finishCancelledOrder(env, ctx, agg, input);
  const at = isoSeconds(input.now);
  const key = orderCancelledKey(agg.order.id);
  const refundedMinor = paid.reduce((n, p) => n + p.refundedMinor, 0);
  const [event, message] = orderCancelledRecords(db, agg, { ...input, at, refundedMinor }, { onlyIfCancelled: true });
  const [, , written] = (await db.batch([
    markCancelledIfAllAre(db, agg.order.id, agg.payment ? derivedPaymentStatus(agg.payment.id) : "unpaid", at),
    event,
    message,
  ])) as unknown as [unknown, unknown, { id: number }[]];
  // Another cancel of the order running at once wrote the message first, perhaps before its own
  // refunds or this call's were paid: each refund this call paid is told on it, or after it.
  if (written.length === 0) {
    await Promise.all(landed.map((id, i) => tellCancelRefund(env, id, key, paid[i]!, input.now)));
  }
  await finishLater(ctx, dispatchOutbox(env, [key], input.now));
  return { ok: true, orderId: agg.order.id, changed: landed.length > 0 };
}
