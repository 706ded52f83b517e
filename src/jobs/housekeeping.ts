import { database } from "../db/client";
import { deleteExpiredKeys } from "../db/idempotency";
import { deleteReceiptsBefore } from "../db/receipts";
import { isoSeconds } from "../domain/time";

const PROCESSED_RETENTION_DAYS = 7;

/** Forgets idempotency keys past their retention (at least 24 h) and old consumer receipts. */
export async function purgeExpiredKeys(env: Env, now: Date) {
  const db = database(env);
  const receiptsBefore = isoSeconds(new Date(now.getTime() - PROCESSED_RETENTION_DAYS * 86_400_000));
  const [keys, receipts] = await db.batch([
    deleteExpiredKeys(db, isoSeconds(now)),
    deleteReceiptsBefore(db, receiptsBefore),
  ]);
  return { idempotencyKeys: keys.length, processedMessages: receipts.length };
}
