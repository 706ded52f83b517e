import { database } from "../db/client";
import { dueRetryRefunds } from "../db/payments";
import { isoSeconds } from "../domain/time";
import { payPendingRefund } from "../money/owed-refunds";
import { groupBy } from "./page";

// A refund paid costs about eleven D1 queries (its ledger read, then one batch of its refund,
// credit note, journal, settlement, event and message): fifteen keep a tick near 170, inside the
// fifth of an invocation's 1,000 that each job of the minute may spend beside the others. A backlog
// after an outage drains at 900 an hour.
const BATCH = 15;
/**
 * How long a refund owed but never tried is left to the request that owes it: long enough for its
 * provider call to end (Stripe's SDK waits up to 80 s, with retries), so the job does not pay it
 * and announce it at the same time; a Worker stopped before paying is paid after this.
 */
const FIRST_TRY_MS = 5 * 60_000;
/** Sub-orders whose refunds are in flight at once: Stripe's rate limit is per account, and a run must end within its minute. */
const PARALLEL = 10;

/**
 * Refunds owed by cancels and returns that landed while the provider failed (or the Worker stopped
 * before paying): each retried through the refund's one path under its own key (a cancel's
 * sub-order key, a return's key), so a retry that overlaps the first attempt, or another run,
 * refunds once. Each tick takes those tried least, so refunds the provider keeps refusing never
 * hold back the ones owed after them, and each failure backs its refund off (`retryDelayMinutes`).
 */
export async function retryPendingRefunds(env: Env, now: Date) {
  const items = await dueRetryRefunds(database(env), BATCH, {
    now: isoSeconds(now),
    untriedBefore: isoSeconds(new Date(now.getTime() - FIRST_TRY_MS)),
  });
  const result = { refunded: 0, failed: 0 };
  // One sub-order's refunds one after another: each gives back the fee on what its sub-order has
  // left, read from the ledger, and two at once would both read the same (a minor unit adrift).
  const bySubOrder = groupBy(items, (owed) => owed.subOrderId);
  for (let i = 0; i < bySubOrder.length; i += PARALLEL) {
    await Promise.all(
      bySubOrder.slice(i, i + PARALLEL).map(async (owedOfSubOrder) => {
        for (const owed of owedOfSubOrder) {
          // Owed because the first try failed: its cancel or return told the shopper nothing was coming yet.
          const paid = await payPendingRefund(env, owed, now, { announce: true });
          result[paid.pending ? "failed" : "refunded"] += 1;
        }
      }),
    );
  }
  return result;
}
