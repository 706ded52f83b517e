import { type Db, database, runBatch, type Statement } from "../db/client";
import { queueOpsAlert } from "../db/ops-alerts";
import { findPayment, insertEvent, insertOutbox } from "../db/orders";
import { findPaymentEvent, findPendingRefund, type PendingRefundRow, recordPaymentEvent } from "../db/payments";
import {
  findRefundByProviderRef,
  firstSubOrderOf,
  type RefundRow,
  refundFailureStatements,
  releaseToRetry,
  retriesOf,
  retryRefundKey,
  settledOutsideStatements,
} from "../db/refund-failures";
import type { Actor } from "../domain/principal";
import { retriedAfterFailure, retryDelayMinutes } from "../domain/refund-retry";
import { isoSeconds } from "../domain/time";
import { dispatchOutbox } from "../gateways/order-events";
import { type Background, finishLater } from "../platform/background";

/** A refund the provider made and reports failed. */
export type FailedRefund = {
  /** The recorded refund it paid, as recorded (or as the same batch records it). */
  refund: Pick<RefundRow, "id" | "orderId" | "paymentId" | "subOrderId" | "amountMinor" | "currency" | "reason">;
  providerRefundId: string;
  /** The provider's failure reason, e.g. `expired_or_canceled_card`. */
  reason: string;
  /** The sub-order its retry is listed under: the refund's own, or an order-wide refund's first. */
  subOrderId: string;
  /** Failed refunds of it before this one: each waits longer before its retry. */
  failedBefore: number;
  at: string;
};

/**
 * The writes of a failed refund, for the batch that learns of it: the refund stays in the books
 * (its credit note and the vendor's side stand: the goods are still given back); the provider's
 * payment of it is owed again, as an owed refund of kind `retry` the job pays after its back-off,
 * or that waits for ops when paying the same card again cannot work. Ops are alerted, the order's
 * history says so and the shopper is told (the outbox row `outboxKey`). Once per provider refund.
 */
export function refundFailureWrites(db: Db, f: FailedRefund): { statements: Statement[]; outboxKey: string } {
  const awaitingOps = !retriedAfterFailure(f.reason);
  const retryId = retryRefundKey(f.providerRefundId);
  const { refund } = f;
  const amount = `${refund.amountMinor} ${refund.currency} minor units`;
  const outboxKey = `order.refund_failed:${f.providerRefundId}`;
  const nextAttemptAt = awaitingOps
    ? null
    : isoSeconds(Date.parse(f.at) + retryDelayMinutes(f.failedBefore + 1) * 60_000);
  return {
    outboxKey,
    statements: [
      ...refundFailureStatements(db, { ...f, retryId, awaitingOps, nextAttemptAt }),
      insertEvent(db, {
        orderId: refund.orderId,
        subOrderId: refund.subOrderId,
        type: "payment.refund_failed",
        at: f.at,
        actorRole: "system",
        actorId: "payments",
        reason: f.reason,
        data: {
          refundId: refund.id,
          providerRefundId: f.providerRefundId,
          amountMinor: refund.amountMinor,
          retried: !awaitingOps,
        },
        dedupeKey: `payment.refund_failed:${f.providerRefundId}`,
      }),
      queueOpsAlert(db, {
        template: "refund_failed",
        dedupeKey: `refund-failed:${f.providerRefundId}`,
        text: awaitingOps
          ? `Refund ${refund.id} of order ${refund.orderId} (${amount}) failed at the payment provider (${f.reason}): refund the shopper another way and settle ${retryId}, or retry it.`
          : `Refund ${refund.id} of order ${refund.orderId} (${amount}) failed at the payment provider (${f.reason}); it is retried as ${retryId}.`,
        params: { orderId: refund.orderId, refundId: refund.id, pendingRefundId: retryId, reason: f.reason },
        at: f.at,
      }),
      insertOutbox(db, {
        type: "order.refund_failed",
        orderId: refund.orderId,
        payload: { refundedMinor: refund.amountMinor, retried: !awaitingOps },
        dedupeKey: outboxKey,
        createdAt: f.at,
      }),
    ],
  };
}

export type ReportedRefundFailure = {
  /** The provider's event, applied once; absent when the refund's own answer said it failed. */
  eventId?: string;
  paymentId: string;
  providerRefundId: string;
  reason: string;
  at: Date;
};

export type RefundFailureResult = { ok: true; applied: boolean } | { ok: false; code: "NOT_FOUND"; detail: string };

/** A refund the provider reports failed after making it (its webhook): see `refundFailureWrites`. */
export async function applyRefundFailure(
  env: Env,
  f: ReportedRefundFailure,
  ctx?: Background,
): Promise<RefundFailureResult> {
  const db = database(env);
  const payment = await findPayment(db, f.paymentId);
  if (!payment) return { ok: false, code: "NOT_FOUND", detail: "No such payment" };
  if (f.eventId && (await findPaymentEvent(db, f.eventId))) return { ok: true, applied: false };
  if (await findPendingRefund(db, retryRefundKey(f.providerRefundId))) return { ok: true, applied: false };
  const at = isoSeconds(f.at);
  const recorded = f.eventId
    ? [recordPaymentEvent(db, { id: f.eventId, paymentId: payment.id, type: "refund_failed", receivedAt: at })]
    : [];
  const refund = await findRefundByProviderRef(db, f.providerRefundId);
  if (!refund) {
    // Not a refund this system made (one issued from the provider's dashboard), or one whose record
    // never landed: nothing here to reopen, but someone must pay the shopper.
    await runBatch(db, [
      queueOpsAlert(db, {
        template: "refund_failed_unrecorded",
        dedupeKey: `refund-failed:${f.providerRefundId}`,
        text: `Refund ${f.providerRefundId} of order ${payment.orderId} failed at the payment provider (${f.reason}) and is not recorded here: refund the shopper another way.`,
        params: { orderId: payment.orderId, providerRefundId: f.providerRefundId, reason: f.reason },
        at,
      }),
      ...recorded,
    ]);
    return { ok: true, applied: true };
  }
  const [subOrderId, failedBefore] = await Promise.all([
    refund.subOrderId ?? firstSubOrderOf(db, refund.orderId),
    retriesOf(db, refund.id),
  ]);
  const writes = refundFailureWrites(db, {
    refund,
    providerRefundId: f.providerRefundId,
    reason: f.reason,
    subOrderId: subOrderId!,
    failedBefore,
    at,
  });
  await runBatch(db, [...writes.statements, ...recorded]);
  await finishLater(ctx, dispatchOutbox(env, [writes.outboxKey], f.at));
  return { ok: true, applied: true };
}

export type OwedRefundAction =
  | { ok: true; owed: PendingRefundRow }
  | { ok: false; code: "NOT_FOUND" | "CONFLICT"; detail: string };

/** Ops ask for an owed refund to be tried again now (one that awaits them, or one backing off). */
export async function retryOwedRefundNow(env: Env, id: string, now: Date): Promise<OwedRefundAction> {
  const db = database(env);
  const owed = await findPendingRefund(db, id);
  if (!owed) return { ok: false, code: "NOT_FOUND", detail: "No such owed refund" };
  const released = await releaseToRetry(db, id, isoSeconds(now));
  if (!released) return { ok: false, code: "CONFLICT", detail: "The refund is already paid" };
  return { ok: true, owed: released };
}

/**
 * Ops record that they paid a failed refund outside the provider (a bank transfer, store credit):
 * it is owed no more, with their note on how, the order's history says who settled it and the
 * shopper is told. Only a refund the provider made and failed, and only while it waits for ops:
 * one never made is not in the books yet, and one the job retries may be paid by the provider.
 */
export async function settleOwedRefundOutside(
  env: Env,
  s: { id: string; note: string; actor: Actor; now: Date },
): Promise<OwedRefundAction> {
  const db = database(env);
  const owed = await findPendingRefund(db, s.id);
  if (!owed) return { ok: false, code: "NOT_FOUND", detail: "No such owed refund" };
  if (owed.kind !== "retry") {
    return {
      ok: false,
      code: "CONFLICT",
      detail: "Only a refund the payment provider made and then failed can be settled outside it",
    };
  }
  // The job never pays one left to ops; one it retries could reach the shopper twice.
  if (!owed.awaitingOps && owed.settledAt === null) {
    return { ok: false, code: "CONFLICT", detail: "The job is retrying this refund through the payment provider" };
  }
  await runBatch(
    db,
    settledOutsideStatements(db, {
      owed,
      note: s.note,
      at: isoSeconds(s.now),
      actorRole: s.actor.role,
      actorId: s.actor.id,
    }),
  );
  await dispatchOutbox(env, [`order.refund_settled:${s.id}`], s.now);
  const current = (await findPendingRefund(db, s.id))!;
  // A replay of the same settlement answers it again; a refund paid otherwise meanwhile is a conflict.
  if (current.settledNote !== s.note) return { ok: false, code: "CONFLICT", detail: "The refund is already paid" };
  return { ok: true, owed: current };
}
