import { type CancelOutcome, cancelExpiredOrder } from "../cancellation/order-cancellation";
import { database } from "../db/client";
import { findExpiredUnpaidOrders, loadOrder } from "../db/orders";
import { systemActor } from "../domain/principal";
import { isoSeconds } from "../domain/time";
import { continueJob } from "../gateways/order-events";
import { applyPaymentOutcome } from "../payment-outcome/payment-outcome";
import type { Background } from "../platform/background";
import { pageWork, withinStockCalls } from "./page";

// One invocation's page. An expired order costs about a dozen D1 queries (its load, the provider's
// cancel, the cancellation batch) and a stock release per SKU; six keep a page under 80 queries,
// well inside the 1,000 an invocation may spend beside the other jobs of its minute (or the other
// page and the events of a queue delivery). The rest continues on the queue, a page per consumer
// invocation, right away.
const PAGE = 6;
// Stock-object calls a page's releases may make (a release per SKU of each order): six carts of
// 50 lines would be 300 subrequests, so big carts go fewer to a page.
const STOCK_CALLS = 60;
// A payment found already succeeded is confirmed through the whole payment path (a commit per
// SKU, a write per sub-order: up to 80 queries for a 50-vendor order): one per page; any other
// waits for the next minute's run.
const CONFIRMS_PER_PAGE = 1;

type Outcome = "cancelled" | "unchanged" | "succeeded" | "waiting" | "failed";

/**
 * Unpaid orders past their hold: cancel the payment first, and the order (`hold_expired`) only if
 * that worked. A payment that had already succeeded is confirmed instead, through the same path
 * as its webhook, which re-reserves or refunds if the stock object already let the hold go.
 * One page of them, oldest first (after `after` when continuing); a full page hands the rest on.
 */
export async function expireHolds(env: Env, now: Date, after?: { key: string; id: string }) {
  const db = database(env);
  // Expiries are stored to the second: `now` with milliseconds sorts before one on its own second.
  const found = await findExpiredUnpaidOrders(db, isoSeconds(now), PAGE + 1, after);
  const due = withinStockCalls(found.slice(0, PAGE), (o) => o.skus, STOCK_CALLS);
  const work = pageWork("expire-holds");
  const outcomes = await Promise.all(due.map(({ id }) => cancelExpired(env, work, id, now)));
  await work.settled();
  const result = { cancelled: 0, confirmed: 0, waiting: 0, failed: 0, continued: false };
  const succeeded = outcomes.flatMap((o, i) => (o.outcome === "succeeded" ? [i] : []));
  const confirming = new Set(rotated(succeeded, now).slice(0, CONFIRMS_PER_PAGE));
  for (const [i, { outcome, chargeId }] of outcomes.entries()) {
    if (confirming.has(i)) {
      if (await confirmPaid(env, due[i]!.id, chargeId, now)) result.confirmed += 1;
      else result.failed += 1;
    } else if (outcome === "succeeded") result.waiting += 1;
    else if (outcome !== "unchanged") result[outcome] += 1;
  }
  const last = due.at(-1);
  if (found.length > due.length && last) {
    await continueJob(env, {
      job: "expire-holds",
      at: now.toISOString(),
      after: { key: last.holdExpiresAt, id: last.id },
    });
    result.continued = true;
  }
  return result;
}

async function cancelExpired(
  env: Env,
  ctx: Background,
  orderId: string,
  now: Date,
): Promise<{ outcome: Outcome; chargeId?: string }> {
  let outcome: CancelOutcome;
  try {
    outcome = await cancelExpiredOrder(env, ctx, {
      orderId,
      reason: "hold_expired",
      actor: systemActor("expire-holds"),
      now,
    });
  } catch (err) {
    // A D1 error, a stock object's release failing, a provider's error: this order stays pending
    // for a later run (its cancel is safe to repeat), and the page's other orders, its confirm and
    // its continuation go on.
    console.error(JSON.stringify({ job: "expire-holds", orderId, outcome: "cancel failed", error: String(err) }));
    return { outcome: "failed" };
  }
  if (outcome.ok) return { outcome: outcome.changed ? "cancelled" : "unchanged" };
  if (outcome.code === "CONFLICT") {
    return outcome.paymentStatus === "succeeded"
      ? { outcome: "succeeded", chargeId: outcome.chargeId }
      : { outcome: "waiting" };
  }
  console.error(JSON.stringify({ job: "expire-holds", orderId, outcome }));
  return { outcome: "failed" };
}

/**
 * The page's succeeded payments, starting at one that moves on each minute: one whose confirm keeps
 * failing (oldest, so first on every page) must not take the page's confirm every run.
 */
function rotated(indexes: number[], now: Date): number[] {
  if (indexes.length === 0) return indexes;
  const start = Math.floor(now.getTime() / 60_000) % indexes.length;
  return [...indexes.slice(start), ...indexes.slice(0, start)];
}

/** Confirms an order whose payment the provider says succeeded, as its webhook would have. */
async function confirmPaid(env: Env, orderId: string, chargeId: string | undefined, now: Date): Promise<boolean> {
  try {
    const payment = (await loadOrder(database(env), orderId))?.payment;
    if (!payment) {
      console.error(JSON.stringify({ job: "expire-holds", orderId, outcome: "succeeded, but no payment found" }));
      return false;
    }
    const applied = await applyPaymentOutcome(env, {
      paymentId: payment.id,
      outcome: "succeeded",
      eventId: `sync:${payment.id}:succeeded`,
      chargeId,
      at: now,
      actor: systemActor("expire-holds"),
    });
    if (!applied.ok) console.error(JSON.stringify({ job: "expire-holds", orderId, outcome: applied }));
    return applied.ok;
  } catch (err) {
    // A late payment whose stock is gone is refunded in full, and a refund the provider refuses
    // throws (its key replays the refusal for a day): this order waits for a later run, the rest
    // of the page and the pages after it go on.
    console.error(JSON.stringify({ job: "expire-holds", orderId, outcome: "confirm failed", error: String(err) }));
    return false;
  }
}
