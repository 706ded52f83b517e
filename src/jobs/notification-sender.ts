import { sql } from "drizzle-orm";
import { config } from "../config";
import { database } from "../db/client";
import { notifications } from "../db/schema";
import { isoSeconds } from "../domain/time";

const BUCKET_MS = 60_000;

/**
 * Sends queued notifications, confirmations first, under the provider's per-minute limit. The
 * claim is one statement that counts this minute's sends and takes only what is left, so two
 * senders running at once can never exceed the limit; nothing is dropped, and a message that
 * waited past its minute goes out in a later one with its delay visible (createdAt vs sentAt).
 * The local channel, the only one so far, records each message as delivered.
 */
export async function sendNotifications(env: Env, now: Date) {
  const db = database(env);
  const limit = config(env).notifyRatePerMinute;
  const bucketStart = isoSeconds(Math.floor(now.getTime() / BUCKET_MS) * BUCKET_MS);
  const at = isoSeconds(now);
  const sent = await db.all<{ id: string }>(sql`
    update ${notifications}
    set sent_at = ${at}, attempts = attempts + 1, status = 'sent', provider_ref = 'local:' || id
    where id in (
      select id from ${notifications}
      where status = 'queued' and sent_at is null
      order by priority, created_at, id
      limit max(0, ${limit} - (select count(*) from ${notifications} where sent_at >= ${bucketStart} and sent_at <= ${at}))
    )
    returning id`);
  return { sent: sent.length, limit, bucket: bucketStart };
}
