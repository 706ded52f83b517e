import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { Db, Statement } from "./client";
import { creditNotes, orders, paymentEvents, payments, refunds } from "./schema";

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

/** The shopper's credit note for a sub-order's refund, issued once per dedupe key. */
export function insertCreditNote(db: Db, row: typeof creditNotes.$inferInsert): Statement {
  return db.insert(creditNotes).values(row).onConflictDoNothing();
}
