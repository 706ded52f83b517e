import { and, asc, eq, inArray, isNull, lt, lte, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";
import { outbox } from "./schema";

/** `column in (...)` with the whole list as one bound JSON parameter, so its length never meets D1's limit. */
const among = (column: SQLiteColumn, values: readonly unknown[]): SQL =>
  sql`${column} in (select value from json_each(${JSON.stringify(values)}))`;

/** An order event written in the same batch as the change it reports, waiting to be dispatched. */
export type OutboxRow = typeof outbox.$inferSelect;

// A sender that took rows and did not mark them sent within this died on the way (or its queue
// send failed): the sweeper takes them again.
const CLAIM_LAPSES_MS = 60_000;

/** Not sent, and not being sent by a sender still within its claim. */
const unclaimed = (at: Date): SQL =>
  and(
    isNull(outbox.dispatchedAt),
    or(isNull(outbox.claimedAt), lt(outbox.claimedAt, new Date(at.getTime() - CLAIM_LAPSES_MS).toISOString())),
  )!;

/**
 * Takes for sending the rows with these ids or dedupe keys that no one sent or is sending, and
 * returns them as they stand: from the claim on, no one changes what they say (`announceRefund`
 * tells of a refund in a message of its own instead), so what goes out is what the row says. Each
 * list travels as one JSON parameter: one statement however many there are.
 */
export async function claimOutbox(
  db: Db,
  ids: readonly number[],
  dedupeKeys: readonly string[],
  at: Date,
): Promise<OutboxRow[]> {
  if (ids.length === 0 && dedupeKeys.length === 0) return [];
  return db
    .update(outbox)
    .set({ claimedAt: at.toISOString() })
    .where(
      and(or(among(outbox.id, [...new Set(ids)]), among(outbox.dedupeKey, [...new Set(dedupeKeys)])), unclaimed(at)),
    )
    .returning();
}

/** Takes the unclaimed rows created at or before `cutoff`, oldest first: what the sweeper sends. */
export async function claimDueOutbox(db: Db, cutoff: string, limit: number, at: Date): Promise<OutboxRow[]> {
  const due = db
    .select({ id: outbox.id })
    .from(outbox)
    .where(and(unclaimed(at), lte(outbox.createdAt, cutoff)))
    .orderBy(asc(outbox.id))
    .limit(limit);
  const rows = await db
    .update(outbox)
    .set({ claimedAt: at.toISOString() })
    .where(and(inArray(outbox.id, due), unclaimed(at)))
    .returning();
  return rows.sort((a, b) => a.id - b.id);
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
 * paid it). "told" when it says so now, or said so as written: a whole-order cancel's retry names
 * in `refundsTold` the sub-orders whose recorded refunds it counted. "gone" when the row went out
 * or is on its way (the sweeper sends a row 30 s old while the provider is slow; another cancel of
 * the order sends its own at once).
 */
export async function announceRefund(
  db: Db,
  dedupeKey: string,
  refundedMinor: number,
  subOrderId: string,
): Promise<"told" | "gone"> {
  const told = sql`coalesce(json_extract(${outbox.payload}, '$.refundedMinor'), 0)`;
  const countedOf = sql`exists (select 1 from json_each(${outbox.payload}, '$.refundsTold') where value = ${subOrderId})`;
  const added = await db
    .update(outbox)
    .set({ payload: sql`json_set(${outbox.payload}, '$.refundedMinor', ${told} + ${refundedMinor})` })
    .where(
      and(
        eq(outbox.dedupeKey, dedupeKey),
        isNull(outbox.dispatchedAt),
        isNull(outbox.claimedAt),
        sql`not ${countedOf}`,
      ),
    )
    .returning({ id: outbox.id });
  if (added.length > 0) return "told";
  // Rarely read: the row went out, or a retry's message counted this refund as it was written.
  const counted = await db
    .select({ id: outbox.id })
    .from(outbox)
    .where(and(eq(outbox.dedupeKey, dedupeKey), countedOf));
  return counted.length > 0 ? "told" : "gone";
}
