import { eq } from "drizzle-orm";
import type { Db } from "./client";
import { type After, afterKey, keyOrder, type Page, toPage } from "./paging";
import { deadLetters } from "./schema";

export type DeadLetterRow = typeof deadLetters.$inferSelect;

/** Kept once per message: a redelivered dead letter changes nothing. */
export async function keepDeadLetter(db: Db, row: DeadLetterRow) {
  await db.insert(deadLetters).values(row).onConflictDoNothing();
}

/** Newest first. */
export async function listDeadLetters(
  db: Db,
  q: { limit: number; after: After | undefined },
): Promise<Page<DeadLetterRow>> {
  const rows = await db
    .select()
    .from(deadLetters)
    .where(afterKey(deadLetters.receivedAt, deadLetters.id, q.after, "desc"))
    .orderBy(...keyOrder(deadLetters.receivedAt, deadLetters.id, "desc"))
    .limit(q.limit + 1);
  return toPage(
    rows,
    q.limit,
    (r) => ({ key: r.receivedAt, id: r.id }),
    (r) => r,
  );
}

export async function findDeadLetter(db: Db, id: string) {
  return db.select().from(deadLetters).where(eq(deadLetters.id, id)).get();
}

export async function stampReplayed(db: Db, id: string, at: string) {
  return db.update(deadLetters).set({ replayedAt: at }).where(eq(deadLetters.id, id)).returning().get();
}
