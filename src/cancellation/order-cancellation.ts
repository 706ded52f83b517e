import type { SubOrderStatus } from "../contracts/order-status";
import { type Db, database, runBatch, type Statement } from "../db/client";
import {
  cancelOpenSubOrders,
  insertEvent,
  insertOutbox,
  loadOrder,
  markOrderCancelled,
  type OrderAggregate,
} from "../db/orders";
import { derivedPaymentStatus, refundStatements, setPaymentStatus } from "../db/payments";
import { isBeforeDispatch } from "../domain/order-status";
import type { Actor } from "../domain/principal";
import { isoSeconds } from "../domain/time";
import { dispatchOutbox } from "../gateways/order-events";
import { paymentProvider } from "../gateways/payment-provider";
import type { PaymentStatus } from "../gateways/payments";
import { releaseAll } from "../gateways/stock";
import { type Background, finishLater } from "../platform/background";
import { refundSubOrder } from "./sub-order-cancellation";

/** Where work may continue after the answer is sent. */

export type CancelOutcome =
  | { ok: true; orderId: string; changed: boolean }
  | { ok: false; code: "NOT_FOUND"; detail: string }
  | { ok: false; code: "ILLEGAL_TRANSITION"; detail: string; allowed: string[] }
  | { ok: false; code: "CONFLICT"; detail: string; paymentStatus?: PaymentStatus }
  | { ok: false; code: "PAYMENT_PROVIDER_ERROR"; detail: string };

export const skuIdsOf = (agg: OrderAggregate) => [...new Set(agg.lines.map((l) => l.skuId))];

/**
 * The statements that cancel every still-cancellable sub-order and the parent, with the refund
 * (if any) recorded beside them: one batch, so an order is never half cancelled in D1.
 * `refund` is one refund of the whole payment; `recorded` are statements that already record
 * refunds (per sub-order) and go first, so the parent's payment status is read after them.
 */
export function cancellationStatements(
  db: Db,
  agg: OrderAggregate,
  input: {
    reason: string;
    actor: Actor;
    at: string;
    refund?: { amountMinor: number; providerRef: string };
    recorded?: Statement[];
    /** What this cancellation gives back, for the shopper's message. */
    refundedMinor: number;
  },
): Statement[] {
  const { order, payment } = agg;
  const statements: Statement[] = [
    ...(input.recorded ?? []),
    cancelOpenSubOrders(db, order.id, input.reason, input.at),
  ];
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
    insertEvent(db, {
      orderId: order.id,
      type: "order.cancelled",
      at: input.at,
      actorRole: input.actor.role,
      actorId: input.actor.id,
      reason: input.reason,
      dedupeKey: `order.cancelled:${order.id}`,
    }),
    insertOutbox(db, {
      type: "order.cancelled",
      orderId: order.id,
      payload: { orderId: order.id, reason: input.reason, refundedMinor: input.refundedMinor },
      dedupeKey: `order.cancelled:${order.id}`,
      createdAt: input.at,
    }),
  );
  return statements;
}

/**
 * Cancels a whole order before anything ships. Unpaid: the payment is cancelled first, and the
 * order only if that worked (a payment that already succeeded is confirmed, not cancelled). Paid:
 * stock goes back and whatever is left of the payment is refunded.
 */
export async function cancelOrder(
  env: Env,
  ctx: Background | undefined,
  input: { orderId: string; reason: string; actor: Actor; now: Date },
): Promise<CancelOutcome> {
  const db = database(env);
  const agg = await loadOrder(db, input.orderId);
  if (!agg) return { ok: false, code: "NOT_FOUND", detail: "No such order" };
  if (agg.order.status === "cancelled") return { ok: true, orderId: agg.order.id, changed: false };
  const shipped = agg.subOrders.filter(
    (s) => !isBeforeDispatch(s.status as SubOrderStatus) && s.status !== "cancelled",
  );
  if (shipped.length > 0) {
    return {
      ok: false,
      code: "ILLEGAL_TRANSITION",
      detail: "Part of this order has been dispatched; return it instead",
      allowed: [],
    };
  }
  const provider = paymentProvider(env);
  const at = isoSeconds(input.now);
  const payment = agg.payment;
  const recorded: Statement[] = [];
  let refundedMinor = 0;
  const unpaid = agg.order.status === "pending_payment";
  if (payment && unpaid) {
    const cancelled = await provider.cancel(payment.id);
    if (!cancelled.ok) return { ok: false, code: "PAYMENT_PROVIDER_ERROR", detail: cancelled.message };
    // Anything but a cancelled payment (succeeded, or still processing) may yet bring money: keep the order.
    if (cancelled.value.status !== "canceled") {
      return {
        ok: false,
        code: "CONFLICT",
        detail: `The payment is ${cancelled.value.status}; try again in a moment`,
        paymentStatus: cancelled.value.status,
      };
    }
  } else if (payment) {
    // Refunded per sub-order under the same keys a vendor's or the SLA watcher's cancel uses, so a
    // sub-order cancelled both ways at once is refunded and credited once.
    for (const sub of agg.subOrders.filter((s) => s.status !== "cancelled")) {
      const refunded = await refundSubOrder(env, agg, sub, input.reason, at);
      if (!refunded.ok) return { ok: false, code: "PAYMENT_PROVIDER_ERROR", detail: refunded.detail };
      recorded.push(...refunded.statements);
      refundedMinor += refunded.refund?.amountMinor ?? 0;
    }
  }
  await releaseAll(env, agg.order.holdId, skuIdsOf(agg), input.reason);
  const statements = cancellationStatements(db, agg, {
    reason: input.reason,
    actor: input.actor,
    at,
    recorded,
    refundedMinor,
  });
  if (payment && unpaid) {
    statements.push(setPaymentStatus(db, payment.id, "canceled", at));
  }
  await runBatch(db, statements);
  await finishLater(ctx, dispatchOutbox(env, [`order.cancelled:${agg.order.id}`], input.now));
  return { ok: true, orderId: agg.order.id, changed: true };
}
