import { database, runBatch } from "../db/client";
import { insertEvent } from "../db/orders";
import {
  cancelRefundKey,
  findPendingRefund,
  notePendingRefundFailure,
  type PendingRefundRow,
  refreshOrderPaymentStatus,
  refundStatements,
  settlePendingRefund,
} from "../db/payments";
import { isoSeconds } from "../domain/time";
import { paymentProvider } from "../gateways/payment-provider";
import { issueCreditNote, refundPostings } from "./postings";

export type PaidRefund = { refundedMinor: number; creditNoteId: string | null; pending: boolean };

/** At most this long between tries of a refund the provider keeps refusing. */
const MAX_RETRY_DELAY_MINUTES = 360;

/**
 * How long an owed refund waits after its `attempts`th failure: a minute, doubling, at most six
 * hours. A brief outage is retried within minutes; a refund refused for good (a disputed charge)
 * costs the provider four calls a day instead of one a minute.
 */
export function retryDelayMinutes(attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_MINUTES, 2 ** Math.min(Math.max(attempts - 1, 0), 9));
}

/** Pays the refund a cancelled sub-order owes if it is still pending; nothing owed is nothing to pay. */
export async function payOwedRefund(env: Env, subOrderId: string, now: Date): Promise<PaidRefund> {
  return payOwedRefundById(env, cancelRefundKey(subOrderId), now);
}

/** Pays the owed refund with this id (its provider key) if it is still pending. */
export async function payOwedRefundById(env: Env, id: string, now: Date): Promise<PaidRefund> {
  const owed = await findPendingRefund(database(env), id);
  if (!owed || owed.settledAt !== null) return { refundedMinor: 0, creditNoteId: null, pending: false };
  return payPendingRefund(env, owed, now);
}

/**
 * The one path an owed refund takes, first try or retry, a cancel's or a return's: the provider
 * refunds under the owed row's id (the cancel's `refund:sub:{subOrderId}`, the return's own key),
 * with the same amount and reason every time, so a retry is the same request; then one batch
 * records the refund and its credit note under ids derived from the provider's refund id, posts it
 * to the ledger (a cancel gives back goods, then shipping; a return its goods and their share of a
 * reassignment adjustment), re-derives the parent's payment status and settles the owed row. A
 * failure counts an attempt and leaves the row pending.
 */
export async function payPendingRefund(env: Env, owed: PendingRefundRow, now: Date): Promise<PaidRefund> {
  const db = database(env);
  const refunded = await paymentProvider(env).refund({
    paymentId: owed.paymentId,
    amount: { amountMinor: owed.amountMinor, currency: owed.currency },
    idempotencyKey: owed.id,
    reason: owed.reason,
  });
  if (!refunded.ok) {
    const next = isoSeconds(now.getTime() + retryDelayMinutes(owed.attempts + 1) * 60_000);
    await notePendingRefundFailure(db, owed.id, refunded.message, next);
    return { refundedMinor: 0, creditNoteId: null, pending: true };
  }
  const at = isoSeconds(now);
  const refundId = `rf_${refunded.value.refundId}`;
  const creditNoteId = `cn_${refunded.value.refundId}`;
  const common = {
    orderId: owed.orderId,
    subOrderId: owed.subOrderId,
    amountMinor: owed.amountMinor,
    currency: owed.currency,
    reason: owed.reason,
  };
  const isReturn = owed.kind === "return";
  const ledger = await refundPostings(db, {
    refundId,
    paymentId: owed.paymentId,
    orderId: owed.orderId,
    currency: owed.currency,
    amountMinor: owed.amountMinor,
    at,
    subOrderIds: [owed.subOrderId],
    goodsOnly: isReturn,
    ...(isReturn ? { adjustmentMinor: owed.adjustmentMinor } : {}),
  });
  await runBatch(db, [
    ...refundStatements(db, {
      ...common,
      id: refundId,
      paymentId: owed.paymentId,
      providerRef: refunded.value.refundId,
      at,
    }),
    ...issueCreditNote(env, db, {
      ...common,
      id: creditNoteId,
      vendorId: ledger.terms.get(owed.subOrderId)!.vendorId,
      refundId,
      createdAt: at,
      // The keys credit notes were deduplicated under before refunds were owed by id.
      dedupeKey: isReturn ? `credit:${owed.id}` : `credit:${owed.subOrderId}:cancel`,
    }),
    ...ledger.statements,
    // Read back after the guarded bump, so a concurrent refund of a sibling is counted too.
    refreshOrderPaymentStatus(db, owed.orderId, owed.paymentId),
    settlePendingRefund(db, owed.id, at),
    // The refund lands apart from the batch that made it owed (often a retry much later): its own
    // event tells the analytics roll-ups the order changed again.
    insertEvent(db, {
      orderId: owed.orderId,
      subOrderId: owed.subOrderId,
      type: "payment.refunded",
      at,
      actorRole: "system",
      actorId: "pending-refunds",
      reason: owed.reason,
      data: { refundId, amountMinor: owed.amountMinor },
      dedupeKey: `payment.refunded:${refundId}`,
    }),
  ]);
  return { refundedMinor: owed.amountMinor, creditNoteId, pending: false };
}
