import { ADJUSTMENT_KEY_TTL_MS } from "../contracts/stock";
import { database } from "../db/client";
import { unrecordedReturnClaims } from "../db/returns";
import { systemActor } from "../domain/principal";
import { isoSeconds } from "../domain/time";
import { visibleSubOrder } from "../fulfillment/fulfillment";
import { completeReturn } from "./complete";

const JOB = "returns-follow-up";
/**
 * A claim this young may still be finishing in the request that made it: its refund's provider call
 * alone may take 80 s (Stripe's SDK, with retries), and the `pending-refunds` job waits as long.
 */
const SETTLING_MS = 5 * 60_000;
/**
 * Claims older than this are left alone: the repeat restocks nothing twice only while the stock
 * objects keep the request's restock keys (a week), and a day of margin covers their clocks.
 */
const REACH_MS = ADJUSTMENT_KEY_TTL_MS - 24 * 3_600_000;
/**
 * A claim finished costs about fourteen D1 queries (its order's load, the record batch, the
 * parent's status) and a restock call per restockable line: ten a tick (about 140 queries), cut
 * where the restocks would pass 60, stay inside the fifth of an invocation's limits each job of the
 * minute may spend.
 */
const PAGE = 10;
const STOCK_CALLS = 60;

/**
 * Finishes returns whose request stopped after its claim landed (units counted back, refund owed)
 * and before they were recorded: restocks them under the claim's keys and records them, as the
 * system. Without it a retry under a new key finds nothing left to return, and the units are never
 * restocked nor the sub-order marked returned nor its vendor told. The refund is the
 * `pending-refunds` job's, as for any return whose request did not pay it.
 */
export async function followUpReturns(env: Env, now: Date) {
  const claims = await unrecordedReturnClaims(database(env), {
    from: isoSeconds(new Date(now.getTime() - REACH_MS)),
    before: isoSeconds(new Date(now.getTime() - SETTLING_MS)),
    limit: PAGE,
  });
  const result = { finished: 0, failed: 0 };
  let calls = 0;
  for (const claim of claims) {
    calls += claim.lines.filter((l) => l.restockable).length;
    if (result.finished + result.failed > 0 && calls > STOCK_CALLS) break;
    try {
      const found = await visibleSubOrder(env, claim.subOrderId, "system");
      if (!found) throw new Error(`no sub-order ${claim.subOrderId}`);
      await completeReturn(env, undefined, {
        found,
        key: claim.id,
        lines: claim.lines,
        restock: true,
        actor: systemActor(JOB),
        reason: "returned",
        now,
      });
      result.finished += 1;
    } catch (e) {
      // Left for the next tick; the page's other claims go on.
      console.error(JSON.stringify({ job: JOB, claim: claim.id, error: String(e) }));
      result.failed += 1;
    }
  }
  return result;
}
