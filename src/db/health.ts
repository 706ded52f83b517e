import { asc, count, isNull, sql } from "drizzle-orm";
import type { Db } from "./client";
import { apiTokens, orders, outbox, subOrders } from "./schema";

/** The tables the health check reads: the ones every checkout needs. */
export const PROBED_TABLES = [apiTokens, orders, subOrders, outbox];

/**
 * One cheap statement that names real tables, reading at most a row of each. A `select 1`
 * touches no table, so a database whose migrations were never applied would pass it while every
 * checkout fails; a missing table fails this statement as it fails theirs.
 */
export async function pingDatabase(db: Db): Promise<void> {
  const reads = PROBED_TABLES.map((t) => sql`(select 1 from ${t} limit 1)`);
  await db.run(sql`select ${sql.join(reads, sql`, `)}`);
}

export type EventBacklog = { unsent: number; oldestCreatedAt: string | null };

/**
 * Outbox rows not yet handed to the queue, in one round trip. Both reads stay on the
 * `outbox_pending` partial index; ids grow with insertion, so the lowest is the oldest.
 */
export async function eventBacklog(db: Db): Promise<EventBacklog> {
  const unsent = isNull(outbox.dispatchedAt);
  const [counted, oldest] = await db.batch([
    db.select({ n: count() }).from(outbox).where(unsent),
    db.select({ createdAt: outbox.createdAt }).from(outbox).where(unsent).orderBy(asc(outbox.id)).limit(1),
  ]);
  return { unsent: counted[0]?.n ?? 0, oldestCreatedAt: oldest[0]?.createdAt ?? null };
}
