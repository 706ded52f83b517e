import { asc, eq } from "drizzle-orm";
import type { CancelReason } from "../contracts/orders";
import type { Actor } from "../domain/principal";
import type { Db } from "./client";
import { cancellationNotes } from "./schema";

export type CancellationNoteRow = {
  at: string;
  actor: Actor;
  reason: CancelReason;
  note: string;
};

export async function insertCancellationNote(db: Db, orderId: string, row: CancellationNoteRow): Promise<void> {
  await db.insert(cancellationNotes).values({
    orderId,
    at: row.at,
    actorRole: row.actor.role,
    actorId: row.actor.id,
    reason: row.reason,
    note: row.note,
  });
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
