import { asc, eq, sql } from "drizzle-orm";
import type { CancelReason } from "../contracts/orders";
import type { Actor } from "../domain/principal";
import type { Db } from "./client";
import { cancellationNotes, subOrders } from "./schema";

export type CancellationNoteRow = {
  at: string;
  actor: Actor;
  reason: CancelReason;
  note: string;
};

/**
 * Keeps the note of a cancel that took effect for this reason (a sub-order of the order cancelled
 * with it), once: a retried request adds no second copy, nor does a repeat of that cancel with
 * other words (it changed nothing, so each would pile up another note of up to 500 characters), and
 * a cancel of an order another cancel had already closed for another reason leaves no note claiming
 * a reason that did not cancel it. A retry whose first attempt failed before keeping its note keeps it.
 */
export async function insertCancellationNote(db: Db, orderId: string, row: CancellationNoteRow): Promise<void> {
  await db.insert(cancellationNotes).select(
    sql`select null, ${orderId}, ${row.at}, ${row.actor.role}, ${row.actor.id}, ${row.reason}, ${row.note}
        where exists (select 1 from ${subOrders} s where s.order_id = ${orderId} and s.status = 'cancelled' and s.cancellation_reason = ${row.reason})
          and not exists (select 1 from ${cancellationNotes} n where n.order_id = ${orderId} and n.reason = ${row.reason})`,
  );
}

/** Oldest first; an order is cancelled once, so there are a few at most. */
export async function cancellationNotesOf(db: Db, orderId: string): Promise<CancellationNoteRow[]> {
  const rows = await db
    .select()
    .from(cancellationNotes)
    .where(eq(cancellationNotes.orderId, orderId))
    .orderBy(asc(cancellationNotes.id))
    .limit(50);
  return rows.map((r) => ({
    at: r.at,
    actor: { role: r.actorRole as Actor["role"], id: r.actorId },
    reason: r.reason as CancelReason,
    note: r.note,
  }));
}
