import { and, asc, eq, isNull, lte, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";
import { outbox } from "./schema";

/** `column in (...)` with the whole list as one bound JSON parameter, so its length never meets D1's limit. */
const among = (column: SQLiteColumn, values: readonly unknown[]): SQL =>
  sql`${column} in (select value from json_each(${JSON.stringify(values)}))`;

/** An order event written in the same batch as the change it reports, waiting to be dispatched. */
export type OutboxRow = typeof outbox.$inferSelect;

/**
 * Of the rows with these dedupe keys, those not dispatched yet. The keys travel as one JSON
 * parameter: one statement however many there are.
 */
export async function undispatchedOutbox(db: Db, dedupeKeys: readonly string[]): Promise<OutboxRow[]> {
  if (dedupeKeys.length === 0) return [];
  return db
    .select()
    .from(outbox)
    .where(and(among(outbox.dedupeKey, [...new Set(dedupeKeys)]), isNull(outbox.dispatchedAt)));
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

/** Stamps the rows sent: one statement however many (the ids travel as one JSON parameter). */
export async function markOutboxDispatched(db: Db, ids: readonly number[], at: string): Promise<void> {
  if (ids.length === 0) return;
  await db.update(outbox).set({ dispatchedAt: at }).where(among(outbox.id, ids));
}

export function findOutboxByKey(db: Db, dedupeKey: string): Promise<OutboxRow | undefined> {
  return db.select().from(outbox).where(eq(outbox.dedupeKey, dedupeKey)).get();
}

/**
 * A cancel's announcement, while still undispatched, made to tell of a refund paid for it: it is
 * written saying nothing was refunded, and says so if the refund is never paid. Each refund adds
 * its amount (a whole order's cancel tells of each of its sub-orders' refunds, whichever request
 * paid it). False when the row went out already (the sweeper sends a row 30 s old while the
 * provider is slow; another cancel of the order sends its own at once).
 */
export async function announceRefund(db: Db, dedupeKey: string, refundedMinor: number): Promise<boolean> {
  const told = sql`coalesce(json_extract(${outbox.payload}, '$.refundedMinor'), 0)`;
  const rows = await db
    .update(outbox)
    .set({ payload: sql`json_set(${outbox.payload}, '$.refundedMinor', ${told} + ${refundedMinor})` })
    .where(and(eq(outbox.dedupeKey, dedupeKey), isNull(outbox.dispatchedAt)))
    .returning({ id: outbox.id });
  return rows.length > 0;
}
