import { type Db, database, runBatch, type Statement } from "../db/client";
import { queueOpsAlert } from "../db/ops-alerts";
import { insertEvent, insertOutbox } from "../db/orders";
import { announceRefund } from "../db/outbox";
import {
  cancelRefundKey,
  findPendingRefund,
  notePendingRefundFailure,
  type PendingRefundRow,
  providerRefundKey,
  refreshOrderPaymentStatus,
  refundStatements,
  settlePendingRefund,
} from "../db/payments";
import { refundRepaid, retriesOf } from "../db/refund-failures";
import { retryDelayMinutes } from "../domain/refund-retry";
import { isoSeconds } from "../domain/time";
import { dispatchOutbox } from "../gateways/order-events";
import { paymentProvider } from "../gateways/payment-provider";
import { issueCreditNote, refundPostings } from "./postings";
import { refundFailureWrites } from "./refund-failures";

export type PaidRefund = { refundedMinor: number; creditNoteId: string | null; pending: boolean };

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
 * with the same amount and reason every time, so a retry is the same request (a new key only after
 * the provider refused it outright, `providerRefundKey`); then one batch
 * records the refund and its credit note under ids derived from the provider's refund id, posts it
 * to the ledger (a cancel gives back goods, then shipping; a return its goods and their share of a
 * reassignment adjustment), re-derives the parent's payment status and settles the owed row. A
 * failure counts an attempt and leaves the row pending. A retry of a refund the provider failed is
 * paid the same way and only names its new provider refund (`repaid`). `announce`: the shopper was
 * not told this refund is coming (its cancel or return went ahead without it), so they are now.
 */
export async function payPendingRefund(
  env: Env,
  owed: PendingRefundRow,
  now: Date,
  opts: { announce?: boolean } = {},
): Promise<PaidRefund> {
  try {
    return await payOnce(env, owed, now, opts);
  } catch (err) {
    // D1 failing in the reads or the batch that record it, whether or not the provider refunded:
    // the row stays owed and counts a failed attempt, as a refusal does, and its next try (under the
    // same provider key) records it. Every caller's cancel or return has landed by now, and goes on.
    console.error(JSON.stringify({ msg: "refund left owed", owedId: owed.id, error: String(err) }));
    await noteFailure(database(env), owed, String(err), now).catch((noteErr: unknown) => {
      console.error(JSON.stringify({ msg: "refund failure not noted", owedId: owed.id, error: String(noteErr) }));
    });
    return { refundedMinor: 0, creditNoteId: null, pending: true };
  }
}

/**
 * The failed attempt at which ops hear that a refund keeps failing: the 7th, about an hour after the
 * first (the back-off waits 1, 2, 4, 8, 16 and 32 minutes between them), past any brief outage. The
 * job goes on retrying it (at most every six hours) and, for a cancel's or a return's refund, its
 * vendor's payout for the sub-order waits meanwhile: someone should look at the payment.
 */
export const OPS_ALERT_AT_ATTEMPT = 7;

/**
 * Counts a failed attempt and backs the refund off; from the `OPS_ALERT_AT_ATTEMPT`th on, the same
 * batch queues the ops alert `refund_retries_failing`, once per owed refund (its dedupe key).
 * `refused`: the provider refused it outright, so the next attempt goes under a new key.
 */
async function noteFailure(db: Db, owed: PendingRefundRow, error: string, now: Date, refused = false): Promise<void> {
  const attempts = owed.attempts + 1;
  const next = isoSeconds(now.getTime() + retryDelayMinutes(attempts) * 60_000);
  const at = isoSeconds(now);
  await runBatch(db, [
    notePendingRefundFailure(db, owed.id, error, next, refused ? owed.refusals : undefined),
    ...(attempts >= OPS_ALERT_AT_ATTEMPT ? [retriesFailingAlert(db, owed, error, attempts, at)] : []),
  ]);
}

function retriesFailingAlert(db: Db, owed: PendingRefundRow, error: string, attempts: number, at: string): Statement {
  const amount = `${owed.amountMinor} ${owed.currency} minor units`;
  const lastAnswer = error.slice(0, 200);
  // Only a refund the provider made and then failed (`retry`) is in the books and can be settled
  // another way (once it awaits ops); a cancel's or a return's is not made until the provider makes it.
  const action =
    owed.kind === "retry"
      ? "check the payment in the provider's dashboard, or refund the shopper another way and settle it (POST /v1/admin/refunds/pending/{id}/settle) once it awaits ops"
      : `check payment ${owed.paymentId} in the provider's dashboard (a dispute, a closed card) and fix what refuses it; POST /v1/admin/refunds/pending/{id}/retry tries it at once. It cannot be settled another way: the refund is not in the books until the provider makes it, and its vendor's payout for sub-order ${owed.subOrderId} waits meanwhile`;
  return queueOpsAlert(db, {
    template: "refund_retries_failing",
    dedupeKey: `refund-retries-failing:${owed.id}`,
    text: `Refund ${owed.id} of order ${owed.orderId} (${amount}) has failed ${attempts} times at the payment provider (last answer: ${lastAnswer}); the pending-refunds job keeps retrying it, at most every six hours. What to do: ${action.replaceAll("{id}", owed.id)}.`,
    params: {
      orderId: owed.orderId,
      subOrderId: owed.subOrderId,
      pendingRefundId: owed.id,
      kind: owed.kind,
      paymentId: owed.paymentId,
      amountMinor: owed.amountMinor,
      currency: owed.currency,
      attempts,
      lastError: lastAnswer,
    },
    at,
  });
}

/**
 * Stripe's refusals of a refund its endpoint gave having run, in the gateway's words
 * (`invalid_request_error/{code}: ...`): it keeps such a refusal under the key and answers it again
 * there for 24 hours, so it made nothing under that key and the next attempt needs a new one, or a
 * dispute resolved in minutes would stay refused for a day. Any other failure keeps the key: a 5xx,
 * a timeout or a lost answer may hide a refund made; a rate limit, a key in use or a rejected API key
 * says nothing of what an earlier attempt under it made. Only codes known to come from the refund
 * itself count, so one not listed costs a day's wait, never a second refund.
 */
const REFUSED_HAVING_RUN = new Set([
  "charge_disputed",
  "charge_already_refunded",
  "amount_too_large",
  "balance_insufficient",
]);

function refusedOutright(message: string): boolean {
  const code = /^invalid_request_error\/(\w+): /.exec(message)?.[1];
  return code !== undefined && REFUSED_HAVING_RUN.has(code);
}

async function payOnce(env: Env, owed: PendingRefundRow, now: Date, opts: { announce?: boolean }): Promise<PaidRefund> {
  const db = database(env);
  const refunded = await paymentProvider(env).refund({
    paymentId: owed.paymentId,
    amount: { amountMinor: owed.amountMinor, currency: owed.currency },
    idempotencyKey: providerRefundKey(owed),
    reason: owed.reason,
  });
  if (!refunded.ok) {
    await noteFailure(db, owed, refunded.message, now, refusedOutright(refunded.message));
    return { refundedMinor: 0, creditNoteId: null, pending: true };
  }
  const at = isoSeconds(now);
  const { refundId: providerRefundId, failure } = refunded.value;
  if (owed.kind === "retry") return repaid(env, db, owed, { providerRefundId, failure }, at);
  const refundId = `rf_${providerRefundId}`;
  const creditNoteId = `cn_${providerRefundId}`;
  const common = {
    orderId: owed.orderId,
    subOrderId: owed.subOrderId,
    amountMinor: owed.amountMinor,
    currency: owed.currency,
    reason: owed.reason,
  };
  const isReturn = owed.kind === "return";
  const failed = failure
    ? refundFailureWrites(db, {
        refund: { ...common, id: refundId, paymentId: owed.paymentId },
        providerRefundId,
        reason: failure,
        subOrderId: owed.subOrderId,
        failedBefore: 0,
        at,
      })
    : null;
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
      providerRef: providerRefundId,
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
    // Answered already failed: in the books as made, and owed again at once.
    ...(failed?.statements ?? []),
    ...(opts.announce && !failed ? [refundSentMessage(db, owed, at)] : []),
  ]);
  // Recorded: a message that fails to go now is the outbox sweeper's, and the refund stands.
  const dispatched = (key: string) => dispatchOutbox(env, [key], now).catch(leftToSweeper);
  if (!failed) {
    if (opts.announce) await dispatched(refundSentKey(owed));
    return { refundedMinor: owed.amountMinor, creditNoteId, pending: false };
  }
  await dispatched(failed.outboxKey);
  // Made, but not on its way to the shopper: owed again.
  return { refundedMinor: 0, creditNoteId, pending: true };
}

const leftToSweeper = (err: unknown) =>
  console.warn(JSON.stringify({ msg: "refund message left to the outbox sweeper", error: String(err) }));

/**
 * A failed refund paid again: it is in the books since it was first made (ledger, credit note,
 * the payment's refunded amount), so only which provider refund pays it changes. Answered already
 * failed too, it is owed again once more, after a longer wait.
 */
async function repaid(
  env: Env,
  db: Db,
  owed: PendingRefundRow,
  paid: { providerRefundId: string; failure: string | null },
  at: string,
): Promise<PaidRefund> {
  const refundId = owed.replacesRefundId!;
  const { providerRefundId } = paid;
  const failed = paid.failure
    ? refundFailureWrites(db, {
        refund: { ...owed, id: refundId },
        providerRefundId,
        reason: paid.failure,
        subOrderId: owed.subOrderId,
        failedBefore: await retriesOf(db, refundId),
        at,
      })
    : null;
  const told = failed
    ? failed.statements
    : [
        insertEvent(db, {
          orderId: owed.orderId,
          subOrderId: owed.subOrderId,
          type: "payment.refund_repaid",
          at,
          actorRole: "system",
          actorId: "pending-refunds",
          data: { refundId, providerRefundId, amountMinor: owed.amountMinor },
          dedupeKey: `payment.refund_repaid:${owed.id}`,
        }),
        refundSentMessage(db, owed, at),
      ];
  await runBatch(db, [
    refundRepaid(db, { refundId, owedId: owed.id, providerRef: providerRefundId }),
    settlePendingRefund(db, owed.id, at),
    ...told,
  ]);
  // The shopper was told it failed: tell them what became of it now (else the outbox sweep would).
  await dispatchOutbox(env, [failed ? failed.outboxKey : refundSentKey(owed)], new Date(at)).catch(leftToSweeper);
  return failed
    ? { refundedMinor: 0, creditNoteId: null, pending: true }
    : { refundedMinor: owed.amountMinor, creditNoteId: null, pending: false };
}

/**
 * Tells the shopper of a cancel's refund that the cancel's own request paid: on the cancel's
 * message (`cancelKey`) while it has not gone out, else in a message of its own.
 */
export async function tellCancelRefund(env: Env, subOrderId: string, cancelKey: string, paid: PaidRefund, now: Date) {
  if (paid.pending || paid.refundedMinor === 0) return;
  const db = database(env);
  if ((await announceRefund(db, cancelKey, paid.refundedMinor, subOrderId)) === "told") return;
  const owed = await findPendingRefund(db, cancelRefundKey(subOrderId));
  if (!owed) return;
  await runBatch(db, [refundSentMessage(db, owed, isoSeconds(now))]);
  await dispatchOutbox(env, [refundSentKey(owed)], now);
}

const refundSentKey = (owed: PendingRefundRow) => `order.refund_sent:${owed.id}`;

/** The shopper's message that a refund they were not told of yet (a late one, a retried one) is on its way. */
function refundSentMessage(db: Db, owed: PendingRefundRow, at: string): Statement {
  return insertOutbox(db, {
    type: "order.refund_sent",
    orderId: owed.orderId,
    payload: { refundedMinor: owed.amountMinor },
    dedupeKey: refundSentKey(owed),
    createdAt: at,
  });
}
