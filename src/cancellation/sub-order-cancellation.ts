import type { SubOrderStatus } from "../contracts/order-status";
import { database, type Statement } from "../db/client";
import type { OrderAggregate, SubOrderRow } from "../db/orders";
import { insertCreditNote, refreshOrderPaymentStatus, refundStatements } from "../db/payments";
import { loadSubOrder, writeTransition } from "../db/sub-orders";
import type { Actor } from "../domain/principal";
import { allowedFrom, transition, transitions } from "../domain/sub-order-lifecycle";
import { isoSeconds } from "../domain/time";
import { dispatchOutbox } from "../gateways/order-events";
import { paymentProvider } from "../gateways/payment-provider";
import { stockObject } from "../gateways/stock";
import { type Background, finishLater } from "../platform/background";

export type CancelSubOrderInput = { subOrderId: string; reason: string; actor: Actor; now: Date };

export type CancelSubOrderOutcome =
  | { ok: true; changed: boolean; refundedMinor: number; creditNoteId: string | null }
  | {
      ok: false;
      code: "NOT_FOUND" | "ILLEGAL_TRANSITION" | "PAYMENT_PROVIDER_ERROR";
      detail: string;
      allowed?: string[];
    };

/**
 * Cancels one vendor's part of a paid order before it ships (the vendor cannot fulfil, ops, or
 * the SLA watcher): its stock goes back to its warehouses, exactly its amount is refunded with a
 * credit note, and the sub-order, parent status, timeline and outbox change in one batch.
 * Running it twice, or twice at once, refunds, records and cancels once.
 */
export async function cancelSubOrder(
  env: Env,
  ctx: Background | undefined,
  input: CancelSubOrderInput,
): Promise<CancelSubOrderOutcome> {
  const found = await loadSubOrder(database(env), input.subOrderId);
  if (!found) return { ok: false, code: "NOT_FOUND", detail: "No such sub-order" };
  return cancelLoadedSubOrder(env, ctx, found, input);
}

/** `cancelSubOrder` for a sub-order the caller has already loaded (and checked the caller may see). */
export async function cancelLoadedSubOrder(
  env: Env,
  ctx: Background | undefined,
  { agg, sub }: { agg: OrderAggregate; sub: SubOrderRow },
  input: CancelSubOrderInput,
): Promise<CancelSubOrderOutcome> {
  const from = sub.status as SubOrderStatus;
  const move = transition(from, "cancel");
  if (!move.ok) {
    const detail =
      from === "pending_payment"
        ? "An unpaid order is cancelled as a whole: POST /v1/orders/{orderId}/cancel"
        : `A ${from} sub-order cannot be cancelled${from === "dispatched" || from === "delivered" ? "; return it instead" : ""}`;
    return { ok: false, code: "ILLEGAL_TRANSITION", detail, allowed: move.allowed };
  }
  if (move.repeat) return { ok: true, changed: false, refundedMinor: 0, creditNoteId: null };

  const skuIds = [...new Set(agg.lines.filter((l) => l.subOrderId === sub.id).map((l) => l.skuId))];
  const released = await releaseInOrder(env, agg.order.holdId, skuIds, input.reason);
  if (!released) {
    return {
      ok: false,
      code: "ILLEGAL_TRANSITION",
      detail: "It has left the warehouse; return it instead",
      allowed: allowedFrom("dispatched"),
    };
  }

  const db = database(env);
  const at = isoSeconds(input.now);
  const refunded = await refundSubOrder(env, agg, sub, input.reason, at);
  if (!refunded.ok) return { ok: false, code: "PAYMENT_PROVIDER_ERROR", detail: refunded.detail };
  const { refund, statements: extra } = refunded;

  const refundedMinor = refund?.amountMinor ?? 0;
  const { changed, key } = await writeTransition(db, {
    agg,
    sub,
    // Any step before dispatch may be cancelled, so a concurrent confirm or pack does not make it miss.
    from: transitions.cancel.from,
    to: "cancelled",
    changes: { cancellationReason: input.reason, cancelledAt: at },
    actor: input.actor,
    reason: input.reason,
    // The actor's role is what counts against a vendor's reliability (vendor or SLA breach vs ops).
    data: { reason: input.reason, refundedMinor, cancelledBy: input.actor.role },
    at,
    extra,
  });
  await finishLater(ctx, dispatchOutbox(env, [key], input.now));
  return changed
    ? { ok: true, changed: true, refundedMinor, creditNoteId: refund?.creditNoteId ?? null }
    : { ok: true, changed: false, refundedMinor: 0, creditNoteId: null };
}

export type SubOrderRefund =
  | {
      ok: true;
      refund: { amountMinor: number; refundId: string; creditNoteId: string } | null;
      /** Records the refund and its credit note once, and re-derives the parent's payment status. */
      statements: Statement[];
    }
  | { ok: false; detail: string };

/**
 * Refunds exactly one sub-order's amount, keyed to the sub-order: whichever path cancels it (its
 * vendor, ops, the SLA watcher, a whole-order cancel) and however often, the provider refunds once
 * and the same refund and credit note ids are recorded.
 */
export async function refundSubOrder(
  env: Env,
  agg: OrderAggregate,
  sub: SubOrderRow,
  reason: string,
  at: string,
): Promise<SubOrderRefund> {
  const payment = agg.payment;
  const amountMinor = payment?.status === "succeeded" ? Math.min(sub.totalMinor, payment.amountMinor) : 0;
  if (!payment || amountMinor <= 0) return { ok: true, refund: null, statements: [] };
  const refunded = await paymentProvider(env).refund({
    paymentId: payment.id,
    amount: { amountMinor, currency: payment.currency },
    idempotencyKey: `refund:sub:${sub.id}`,
    reason,
  });
  if (!refunded.ok) return { ok: false, detail: refunded.message };
  // The provider's refund id is stable per idempotency key: every retry records under the same ids.
  const refund = {
    amountMinor,
    refundId: `rf_${refunded.value.refundId}`,
    creditNoteId: `cn_${refunded.value.refundId}`,
  };
  const db = database(env);
  const statements: Statement[] = [
    ...refundStatements(db, {
      id: refund.refundId,
      paymentId: payment.id,
      orderId: agg.order.id,
      subOrderId: sub.id,
      amountMinor,
      currency: payment.currency,
      reason,
      providerRef: refunded.value.refundId,
      at,
    }),
    insertCreditNote(db, {
      id: refund.creditNoteId,
      orderId: agg.order.id,
      subOrderId: sub.id,
      amountMinor,
      currency: payment.currency,
      reason,
      refundId: refund.refundId,
      createdAt: at,
      dedupeKey: `credit:${sub.id}:cancel`,
    }),
    // Read back after the guarded bump, so a concurrent refund of a sibling is counted too.
    refreshOrderPaymentStatus(db, agg.order.id, payment.id),
  ];
  return { ok: true, refund, statements };
}

/**
 * Releases the sub-order's SKUs one at a time in a fixed order. Dispatch ships them in the same
 * order, so the first SKU's object decides a race between the two: once it has shipped, nothing is
 * released and the answer is false; once it is released, dispatch is refused there.
 */
async function releaseInOrder(env: Env, holdId: string, skuIds: string[], reason: string): Promise<boolean> {
  for (const skuId of [...skuIds].sort()) {
    const r = await stockObject(env, skuId).release(holdId, reason);
    if (!r.ok) return false;
  }
  return true;
}
