import { and, asc, eq, inArray, isNull, lte } from "drizzle-orm";
import { chunks, selectIn } from "./chunks";
import { type Db, runBatch } from "./client";
import { outbox } from "./schema";

/** An order event written in the same batch as the change it reports, waiting to be dispatched. */
export type OutboxRow = typeof outbox.$inferSelect;

/** Of the rows with these dedupe keys, those not dispatched yet. */
export async function undispatchedOutbox(db: Db, dedupeKeys: readonly string[]): Promise<OutboxRow[]> {
  return selectIn(db, dedupeKeys, (chunk) =>
    db
      .select()
      .from(outbox)
      .where(and(inArray(outbox.dedupeKey, chunk), isNull(outbox.dispatchedAt))),
  );
}

/** Undispatched rows created at or before `cutoff`, oldest first: what the sweeper sends. */
export function dueOutbox(db: Db, cutoff: string, limit: number): Promise<OutboxRow[]> {
  return db
    .select()
    .from(outbox)
    .where(and(isNull(outbox.dispatchedAt), lte(outbox.createdAt, cutoff)))
    .orderBy(asc(outbox.id))
    .limit(limit);
}

export function markOutboxDispatched(db: Db, ids: readonly number[], at: string): Promise<void> {
  return runBatch(
    db,
    chunks(ids).map((chunk) => db.update(outbox).set({ dispatchedAt: at }).where(inArray(outbox.id, chunk))),
  );
}

export function findOutboxByKey(db: Db, dedupeKey: string): Promise<OutboxRow | undefined> {
  return db.select().from(outbox).where(eq(outbox.dedupeKey, dedupeKey)).get();
}
