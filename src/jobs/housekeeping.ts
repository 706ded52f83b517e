import { database } from "../db/client";
import { deleteExpiredKeys } from "../db/idempotency";
import { deleteReceiptsBefore } from "../db/receipts";
import { deleteLoadsBefore, hourOf } from "../db/vendor-loads";
import { isoSeconds } from "../domain/time";

const PROCESSED_RETENTION_DAYS = 7;
/** Vendors' hourly loads are read for the current hour only; two days are kept to look at. */
const LOADS_RETENTION_HOURS = 48;

/**
 * Forgets idempotency keys past their retention (at least 24 h), old consumer receipts and the
 * vendors' hourly loads of past days.
 */
export async function purgeExpiredKeys(env: Env, now: Date) {
  const db = database(env);
  const receiptsBefore = isoSeconds(new Date(now.getTime() - PROCESSED_RETENTION_DAYS * 86_400_000));
  const [keys, receipts, loads] = await db.batch([
    deleteExpiredKeys(db, isoSeconds(now)),
    deleteReceiptsBefore(db, receiptsBefore),
    deleteLoadsBefore(db, hourOf(now.getTime() - LOADS_RETENTION_HOURS * 3_600_000)),
  ]);
  return { idempotencyKeys: keys.length, processedMessages: receipts.length, vendorHourlyLoads: loads.length };
}
