import { and, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import type { Db, Statement } from "./client";
import { type After, afterKey, keyOrder, type Page, toPage } from "./paging";
import { creditNotes, orders, paymentEvents, payments, pendingRefunds, refunds, subOrders } from "./schema";

export type PaymentStatus = (typeof payments.$inferSelect)["status"];

/** Statuses a payment may still leave for another outcome: nothing settled it for good yet. */
const OPEN: PaymentStatus[] = ["requires_payment", "failed"];

export async function findPaymentEvent(db: Db, eventId: string) {
  return db.select().from(paymentEvents).where(eq(paymentEvents.id, eventId)).get();
}

/** Remembers a provider event as applied; written in the batch that applies it. */
export function recordPaymentEvent(db: Db, row: { id: string; paymentId: string; type: string; receivedAt: string }) {
  return db.insert(paymentEvents).values(row).onConflictDoNothing();
}

export function setPaymentStatus(db: Db, paymentId: string, status: PaymentStatus, at: string): Statement {
  return db.update(payments).set({ status, updatedAt: at }).where(eq(payments.id, paymentId));
}

/** `setPaymentStatus` only while the payment is still open (requires payment, or failed and retryable). */
export function setOpenPaymentStatus(db: Db, paymentId: string, status: PaymentStatus, at?: string) {
  return db
    .update(payments)
    .set({ status, ...(at ? { updatedAt: at } : {}) })
    .where(and(eq(payments.id, paymentId), inArray(payments.status, OPEN)))
    .returning({ status: payments.status });
}

/** The charge behind a succeeded payment, kept once: the source_transaction of its vendor transfers. */
export function recordPaymentCharge(db: Db, paymentId: string, chargeId: string): Statement {
  return db
    .update(payments)
    .set({ chargeId })
    .where(and(eq(payments.id, paymentId), isNull(payments.chargeId)));
}

export async function paymentStatus(db: Db, paymentId: string): Promise<PaymentStatus | undefined> {
  const row = await db.select({ status: payments.status }).from(payments).where(eq(payments.id, paymentId)).get();
  return row?.status;
}

/** The parent's payment status as its payment row stands when the statement runs. */
export function derivedPaymentStatus(paymentId: string): SQL<string> {
  return sql<string>`(select case when ${payments.refundedMinor} >= ${payments.amountMinor} then 'refunded' when ${payments.refundedMinor} > 0 then 'partially_refunded' else 'paid' end from ${payments} where ${payments.id} = ${paymentId})`;
}

/** Re-derives the order's payment status from its payment, read after the refunds before it in the batch. */
export function refreshOrderPaymentStatus(db: Db, orderId: string, paymentId: string): Statement {
  return db
    .update(orders)
    .set({ paymentStatus: derivedPaymentStatus(paymentId) })
    .where(eq(orders.id, orderId));
}

export type RefundRecord = {
  id: string;
  paymentId: string;
  orderId: string;
  subOrderId: string | null;
  amountMinor: number;
  currency: string;
  reason: string;
  providerRef: string;
  at: string;
};

/**
 * A provider's refund recorded once: the payment's refunded amount grows only if this refund id is
 * not recorded yet, and the refund row is keyed, so replaying the same refund (its provider id is
 * stable per idempotency key) counts it once.
 */
export function refundStatements(db: Db, r: RefundRecord): Statement[] {
  return [
    db
      .update(payments)
      .set({ refundedMinor: sql`${payments.refundedMinor} + ${r.amountMinor}`, updatedAt: r.at })
      .where(
        and(eq(payments.id, r.paymentId), sql`not exists (select 1 from ${refunds} where ${refunds.id} = ${r.id})`),
      ),
    db
      .insert(refunds)
      .values({
        id: r.id,
        paymentId: r.paymentId,
        orderId: r.orderId,
        subOrderId: r.subOrderId,
        amountMinor: r.amountMinor,
        currency: r.currency,
        reason: r.reason,
        providerRef: r.providerRef,
        createdAt: r.at,
      })
      .onConflictDoNothing(),
  ];
}

/** The shopper's credit note for a sub-order's refund, issued once per dedupe key and numbered by db/ledger.ts. */
export type CreditNoteRow = Omit<typeof creditNotes.$inferInsert, "number" | "financialYear" | "vendorId">;

export type PendingRefundRow = typeof pendingRefunds.$inferSelect;

/** The provider idempotency key a cancelled sub-order is refunded under, and the id of the refund it owes. */
export const cancelRefundKey = (subOrderId: string) => `refund:sub:${subOrderId}`;

/**
 * The key the owed refund's next attempt goes under at the provider: its id, then a new one after
 * each outright refusal (Stripe answers a key's first result again for 24 hours, refusals included).
 */
export const providerRefundKey = (owed: Pick<PendingRefundRow, "id" | "refusals">) =>
  owed.refusals === 0 ? owed.id : `${owed.id}#${owed.refusals}`;

/**
 * The refund a cancel owes, written in the cancel's own batch and only if that batch's cancel is the
 * one that landed: the sub-order must be cancelled with exactly this reason and time (a racing cancel
 * that lost finds the winner's row, a move that refunds nothing such as a reassignment adds none).
 * The amount is the sub-order's total as the cancel wrote it, read in the same statement, so a
 * reassignment that changed the total before the cancel landed is refunded as it stands.
 */
export function owePendingRefund(
  db: Db,
  r: { subOrderId: string; orderId: string; paymentId: string; reason: string; at: string },
): Statement {
  const amount = sql`min(${subOrders.totalMinor}, ${payments.amountMinor} - ${payments.refundedMinor})`;
  return db
    .insert(pendingRefunds)
    .select(
      sql`select ${cancelRefundKey(r.subOrderId)}, ${subOrders.id}, ${subOrders.orderId}, ${payments.id}, 'cancel', ${amount}, 0, ${payments.currency}, ${r.reason}, 0, null, ${r.at}, null, null, null, 0, null, 0 from ${subOrders} join ${payments} on ${payments.id} = ${r.paymentId} where ${subOrders.id} = ${r.subOrderId} and ${subOrders.status} = 'cancelled' and ${subOrders.cancellationReason} = ${r.reason} and ${subOrders.cancelledAt} = ${r.at} and ${payments.status} = 'succeeded' and ${amount} > 0`,
    )
    .onConflictDoNothing();
}

/**
 * The refund a return owes, written in the batch that claims its units and only under that claim
 * (`claimed`: this attempt's claim row exists), so a claim never lands without its refund owed and a
 * return that lost its units to another owes nothing. `id` is the return's key at the provider. The
 * amount is the returned goods at the shopper's price, capped at what the payment still holds as
 * the statement runs; `adjustmentMinor` is the share of a reassignment's adjustment those units carry.
 */
export function oweReturnRefund(
  db: Db,
  r: {
    id: string;
    subOrderId: string;
    orderId: string;
    paymentId: string;
    goodsMinor: number;
    adjustmentMinor: number;
    reason: string;
    at: string;
    claimed: SQL;
  },
): Statement {
  const amount = sql`min(${r.goodsMinor}, ${payments.amountMinor} - ${payments.refundedMinor})`;
  return db
    .insert(pendingRefunds)
    .select(
      sql`select ${r.id}, ${r.subOrderId}, ${r.orderId}, ${payments.id}, 'return', ${amount}, ${r.adjustmentMinor}, ${payments.currency}, ${r.reason}, 0, null, ${r.at}, null, null, null, 0, null, 0 from ${payments} where ${payments.id} = ${r.paymentId} and ${payments.status} = 'succeeded' and ${amount} > 0 and ${r.claimed}`,
    )
    .onConflictDoNothing();
}

export async function findPendingRefund(db: Db, id: string) {
  return db.select().from(pendingRefunds).where(eq(pendingRefunds.id, id)).get();
}

/**
 * The reason the provider failed the refund a return's owed row `id` paid, while that refund is
 * owed again and unpaid (its open `retry` row); null when it reached the shopper or was settled.
 * The return's credit note names the refund (`credit:{id}`).
 */
export async function returnRefundFailure(db: Db, id: string): Promise<string | null> {
  const row = await db
    .select({ reason: refunds.failureReason })
    .from(creditNotes)
    .innerJoin(refunds, eq(refunds.id, creditNotes.refundId))
    .innerJoin(pendingRefunds, eq(pendingRefunds.replacesRefundId, refunds.id))
    .where(and(eq(creditNotes.dedupeKey, `credit:${id}`), isNull(pendingRefunds.settledAt)))
    .get();
  return row ? (row.reason ?? "unknown") : null;
}

/** Marks the owed refund paid, once; written in the batch that records the provider's refund. */
export function settlePendingRefund(db: Db, id: string, at: string): Statement {
  return db
    .update(pendingRefunds)
    .set({ settledAt: at })
    .where(and(eq(pendingRefunds.id, id), isNull(pendingRefunds.settledAt)));
}

/**
 * Counts a failed attempt, keeps the provider's answer for ops and when to try again. `refusedUnder`:
 * the provider refused outright the attempt made under the key of that many refusals, so the next
 * goes under a new key; counted once however many attempts under that key overlapped, so a late
 * one never moves the key past one whose attempt may have made the refund.
 */
export function notePendingRefundFailure(
  db: Db,
  id: string,
  error: string,
  nextAttemptAt: string,
  refusedUnder?: number,
): Statement {
  const refusals =
    refusedUnder === undefined
      ? {}
      : {
          refusals: sql`case when ${pendingRefunds.refusals} = ${refusedUnder} then ${pendingRefunds.refusals} + 1 else ${pendingRefunds.refusals} end`,
        };
  return db
    .update(pendingRefunds)
    .set({ attempts: sql`${pendingRefunds.attempts} + 1`, lastError: error.slice(0, 500), nextAttemptAt, ...refusals })
    .where(and(eq(pendingRefunds.id, id), isNull(pendingRefunds.settledAt)));
}

/**
 * The refunds the retry job takes on one tick: those whose back-off has run out, tried least first,
 * then oldest. Oldest alone would hand every tick the same refunds whenever more than `limit` of
 * them keep failing (a disputed charge fails for good), and no refund owed after them would ever be
 * retried; a failed try counts an attempt, so each tick moves on to the ones tried less. Refunds
 * awaiting ops are left to them. One never tried is due once it was owed before `untriedBefore`:
 * its first try (the cancel's or return's own request) may still be on its way, and paying it at
 * the same time would tell the shopper twice.
 */
export function dueRetryRefunds(
  db: Db,
  limit: number,
  at: { now: string; untriedBefore: string },
): Promise<PendingRefundRow[]> {
  return db
    .select()
    .from(pendingRefunds)
    .where(
      and(
        isNull(pendingRefunds.settledAt),
        eq(pendingRefunds.awaitingOps, false),
        sql`((${pendingRefunds.nextAttemptAt} is null and ${pendingRefunds.createdAt} <= ${at.untriedBefore})
          or ${pendingRefunds.nextAttemptAt} <= ${at.now})`,
      ),
    )
    .orderBy(pendingRefunds.attempts, pendingRefunds.createdAt, pendingRefunds.id)
    .limit(limit);
}

/** Refunds still owed, oldest first, keyset over (created_at, id). */
export async function listPendingRefunds(
  db: Db,
  f: { after: After | undefined; limit: number },
): Promise<Page<PendingRefundRow>> {
  const rows = await db
    .select()
    .from(pendingRefunds)
    .where(and(isNull(pendingRefunds.settledAt), afterKey(pendingRefunds.createdAt, pendingRefunds.id, f.after, "asc")))
    .orderBy(...keyOrder(pendingRefunds.createdAt, pendingRefunds.id, "asc"))
    .limit(f.limit + 1);
  return toPage(
    rows,
    f.limit,
    (r) => ({ key: r.createdAt, id: r.id }),
    (r) => r,
  );
}
