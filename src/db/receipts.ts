import { inArray, lt } from "drizzle-orm";
import { chunks, rowsPerInsert, selectIn } from "./chunks";
import type { Db, Statement } from "./client";
import { processedMessages } from "./schema";

/** A queue consumer's proof that it handled an event: redelivery finds it and does nothing. */
export type Receipt = typeof processedMessages.$inferSelect;

/** Of these events, which consumers already handled which, as `consumer:eventId`. */
export async function receiptsOf(db: Db, eventIds: readonly string[]): Promise<Set<string>> {
  const rows = await selectIn(db, eventIds, (ids) =>
    db
      .select({ consumer: processedMessages.consumer, eventId: processedMessages.eventId })
      .from(processedMessages)
      .where(inArray(processedMessages.eventId, ids)),
  );
  return new Set(rows.map((r) => `${r.consumer}:${r.eventId}`));
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
