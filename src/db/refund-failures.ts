import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { Db, Statement } from "./client";
import type { PendingRefundRow } from "./payments";
import { orderEvents, outbox, pendingRefunds, refunds, subOrders } from "./schema";

export type RefundRow = typeof refunds.$inferSelect;

/** The owed refund a provider refund's failure opens: keyed by that refund, so a failure opens one. */
export const retryRefundKey = (providerRefundId: string) => `retry:${providerRefundId}`;

export async function findRefundByProviderRef(db: Db, providerRef: string): Promise<RefundRow | undefined> {
  return db.select().from(refunds).where(eq(refunds.providerRef, providerRef)).get();
}

/** The sub-order an order-wide refund's retry is listed under: the order's first, as its refund named none. */
export async function firstSubOrderOf(db: Db, orderId: string): Promise<string | undefined> {
  const row = await db
    .select({ id: subOrders.id })
    .from(subOrders)
    .where(eq(subOrders.orderId, orderId))
    .orderBy(asc(subOrders.id))
    .get();
  return row?.id;
}

/** How many times the provider failed this refund before: each failure opened one retry. */
export async function retriesOf(db: Db, refundId: string): Promise<number> {
  const row = await db
    .select({ n: sql<number>`count(*)` })
    .from(pendingRefunds)
    .where(eq(pendingRefunds.replacesRefundId, refundId))
    .get();
  return row?.n ?? 0;
}

/**
 * A recorded refund whose provider refund failed: marked failed (only while that provider refund
 * is still the one paying it) and owed again under a key of its own (`retryId`), for the job to
 * retry from `nextAttemptAt` or, when paying the same card again cannot work, for ops.
 */
export function refundFailureStatements(
  db: Db,
  f: {
    refund: Pick<RefundRow, "id" | "orderId" | "paymentId" | "amountMinor" | "currency" | "reason">;
    providerRefundId: string;
    retryId: string;
    subOrderId: string;
    reason: string;
    awaitingOps: boolean;
    nextAttemptAt: string | null;
    at: string;
  },
): Statement[] {
  return [
    db
      .update(refunds)
      .set({ failedAt: f.at, failureReason: f.reason })
      .where(and(eq(refunds.id, f.refund.id), eq(refunds.providerRef, f.providerRefundId), isNull(refunds.failedAt))),
    db
      .insert(pendingRefunds)
      .values({
        id: f.retryId,
        subOrderId: f.subOrderId,
        orderId: f.refund.orderId,
        paymentId: f.refund.paymentId,
        kind: "retry",
        amountMinor: f.refund.amountMinor,
        currency: f.refund.currency,
        reason: f.refund.reason,
        lastError: `refund failed: ${f.reason}`,
        createdAt: f.at,
        nextAttemptAt: f.nextAttemptAt,
        replacesRefundId: f.refund.id,
        awaitingOps: f.awaitingOps,
      })
      .onConflictDoNothing(),
  ];
}

/**
 * The failed refund paid again by the provider's refund `providerRef` under the owed retry
 * `owedId`: that one pays it now. Only while the retry is still owed (placed before its settling
 * in the batch), so a late run of a retry already paid cannot clear a later failure.
 */
export function refundRepaid(db: Db, r: { refundId: string; owedId: string; providerRef: string }): Statement {
  return db
    .update(refunds)
    .set({ providerRef: r.providerRef, failedAt: null, failureReason: null })
    .where(
      and(
        eq(refunds.id, r.refundId),
        sql`exists (select 1 from ${pendingRefunds} where ${pendingRefunds.id} = ${r.owedId} and ${pendingRefunds.settledAt} is null)`,
      ),
    );
}

/**
 * Lets the job retry an owed refund from `now`, ops having asked; only while it is still owed.
 * Answers it as it now is.
 */
export async function releaseToRetry(db: Db, id: string, now: string): Promise<PendingRefundRow | undefined> {
  return db
    .update(pendingRefunds)
    .set({ awaitingOps: false, nextAttemptAt: now })
    .where(and(eq(pendingRefunds.id, id), isNull(pendingRefunds.settledAt)))
    .returning()
    .get();
}

/**
 * Settles an owed retry that ops paid outside the provider, with how they did, its order event and
 * the shopper's message; all only while it is still owed and left to ops, so no run of the job is
 * paying it meanwhile (the event and message are written first, guarded on that, in the same batch).
 */
export function settledOutsideStatements(
  db: Db,
  s: { owed: PendingRefundRow; note: string; at: string; actorRole: string; actorId: string | null },
): Statement[] {
  const open = and(
    eq(pendingRefunds.id, s.owed.id),
    eq(pendingRefunds.kind, "retry"),
    eq(pendingRefunds.awaitingOps, true),
    isNull(pendingRefunds.settledAt),
  );
  const data = JSON.stringify({ refundId: s.owed.replacesRefundId, amountMinor: s.owed.amountMinor });
  const message = { refundedMinor: s.owed.amountMinor };
  return [
    db
      .insert(outbox)
      .select(
        sql`select null, 'order.refund_settled', ${s.owed.orderId}, ${JSON.stringify(message)}, ${`order.refund_settled:${s.owed.id}`}, ${s.at}, null, null where exists (select 1 from ${pendingRefunds} where ${open})`,
      )
      .onConflictDoNothing(),
    db
      .insert(orderEvents)
      .select(
        sql`select null, ${s.owed.orderId}, ${s.owed.subOrderId}, 'payment.refund_settled_outside', ${s.at}, ${s.actorRole}, ${s.actorId}, null, ${data}, ${`payment.refund_settled_outside:${s.owed.id}`} where exists (select 1 from ${pendingRefunds} where ${open})`,
      )
      .onConflictDoNothing(),
    db.update(pendingRefunds).set({ settledAt: s.at, settledNote: s.note, awaitingOps: false }).where(open),
  ];
}
