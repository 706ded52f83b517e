import { asc, count, isNull, sql } from "drizzle-orm";
import type { Db } from "./client";
import { outbox } from "./schema";

/** The cheapest statement that still reaches the database. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.run(sql`select 1`);
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
