import { and, inArray, lt } from "drizzle-orm";
import { chunks, rowsPerInsert, selectIn } from "./chunks";
import type { Db, Statement } from "./client";
import { processedMessages } from "./schema";

/** A queue consumer's proof that it handled an event: redelivery finds it and does nothing. */
export type Receipt = typeof processedMessages.$inferSelect;

/**
 * Of these events, which of these consumers already handled which, as `consumer:eventId`. Both
 * lists are bound so the lookup walks the primary key (consumer, event id); by event id alone it
 * would read every receipt kept.
 */
export async function receiptsOf(
  db: Db,
  consumers: readonly string[],
  eventIds: readonly string[],
): Promise<Set<string>> {
  const rows = await selectIn(db, eventIds, (ids) => receiptsQuery(db, consumers, ids), consumers.length);
  return new Set(rows.map((r) => `${r.consumer}:${r.eventId}`));
}

/** The statement `receiptsOf` runs per chunk of event ids; a test reads its plan. */
export function receiptsQuery(db: Db, consumers: readonly string[], eventIds: string[]) {
  return db
    .select({ consumer: processedMessages.consumer, eventId: processedMessages.eventId })
    .from(processedMessages)
    .where(and(inArray(processedMessages.consumer, [...consumers]), inArray(processedMessages.eventId, eventIds)));
}

export function insertReceipts(db: Db, receipts: readonly Receipt[]): Statement[] {
  return chunks(receipts, rowsPerInsert(processedMessages)).map((values) =>
    db.insert(processedMessages).values(values).onConflictDoNothing(),
  );
}

/** Forgets receipts older than `before`; returns the statement so it joins a batch. */
export function deleteReceiptsBefore(db: Db, before: string) {
  return db.delete(processedMessages).where(lt(processedMessages.processedAt, before)).returning({
    id: processedMessages.eventId,
  });
}
