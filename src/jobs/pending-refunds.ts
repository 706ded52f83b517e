import { database } from "../db/client";
import { dueRetryRefunds } from "../db/payments";
import { isoSeconds } from "../domain/time";
import { payPendingRefund } from "../money/owed-refunds";

const BATCH = 100;
/** Provider calls in flight at once: Stripe's rate limit is per account, and a run must end within its minute. */
const PARALLEL = 10;

/**
 * Refunds owed by cancels and returns that landed while the provider failed (or the Worker stopped
 * before paying): each retried through the refund's one path under its own key (a cancel's
 * sub-order key, a return's key), so a retry that overlaps the first attempt, or another run,
 * refunds once. Each tick takes those tried least, so refunds the provider keeps refusing never
 * hold back the ones owed after them, and each failure backs its refund off (`retryDelayMinutes`).
 */
export async function retryPendingRefunds(env: Env, now: Date) {
  const items = await dueRetryRefunds(database(env), BATCH, isoSeconds(now));
  const result = { refunded: 0, failed: 0 };
  for (let i = 0; i < items.length; i += PARALLEL) {
    const paid = await Promise.all(items.slice(i, i + PARALLEL).map((owed) => payPendingRefund(env, owed, now)));
    for (const p of paid) result[p.pending ? "failed" : "refunded"] += 1;
  }
  return result;
}
