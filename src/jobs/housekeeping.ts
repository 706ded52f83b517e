import { lt } from "drizzle-orm";
import { database } from "../db/client";
import { idempotencyKeys, processedMessages } from "../db/schema";
import { isoSeconds } from "../domain/time";

const PROCESSED_RETENTION_DAYS = 7;

/** Forgets idempotency keys past their retention (at least 24 h) and old consumer receipts. */
export async function purgeExpiredKeys(env: Env, now: Date) {
  const db = database(env);
  const receiptsBefore = isoSeconds(new Date(now.getTime() - PROCESSED_RETENTION_DAYS * 86_400_000));
  const [keys, receipts] = await db.batch([
    db
      .delete(idempotencyKeys)
      .where(lt(idempotencyKeys.expiresAt, isoSeconds(now)))
      .returning({ key: idempotencyKeys.key }),
    db
      .delete(processedMessages)
      .where(lt(processedMessages.processedAt, receiptsBefore))
      .returning({ id: processedMessages.eventId }),
  ]);
  return { idempotencyKeys: keys.length, processedMessages: receipts.length };
}
