import { database } from "../db/client";
import { dueScans, dueSubOrders, stampNudges, widestNudgeLeadHours } from "../db/sla";
import { systemActor } from "../domain/principal";
import { SLA_BREACH_REASON } from "../domain/sub-order-lifecycle";
import { isoSeconds } from "../domain/time";
import { actOnSubOrder } from "../fulfillment/fulfillment";
import { dispatchOutbox } from "../gateways/order-events";

// Per tick. A breach costs a few D1 queries and calls (stock, refund); all nudges of a tick cost
// three. Both stay well inside a Worker invocation's D1 query budget; the rest waits a minute.
const BREACH_BATCH = 100;
const NUDGE_BATCH = 500;

/** The watcher's two scans at `nowIso`, with its per-tick limits. */
export function slaScans(nowIso: string, horizon: string) {
  return dueScans(nowIso, horizon, { breached: BREACH_BATCH, toNudge: NUDGE_BATCH });
}

/**
 * Every minute: a sub-order still undispatched gets one nudge to its vendor once its vendor's
 * nudge lead before the deadline is reached, and is cancelled (`sla_breach_auto`: stock released,
 * its amount refunded with a credit note) once the deadline has passed. Orders held for review
 * have no running clock. Running twice, or twice at once, does nothing twice: the nudge is a
 * conditional stamp with a once-only event, and the cancellation is the guarded vendor-cancel step.
 */
export async function watchSlas(env: Env, now: Date) {
  const db = database(env);
  const nowIso = isoSeconds(now);
  const horizon = isoSeconds(now.getTime() + (await widestNudgeLeadHours(db)) * 3_600_000);
  const { breached, toNudge } = await dueSubOrders(db, slaScans(nowIso, horizon));

  const result = { scanned: breached.length + toNudge.length, nudged: 0, cancelled: 0, failed: 0 };
  const actor = systemActor("sla-watcher");
  for (const s of breached) {
    const outcome = await actOnSubOrder(env, undefined, {
      subOrderId: s.id,
      who: "system",
      actor,
      now,
      action: "cancel",
      reason: SLA_BREACH_REASON,
    });
    if (outcome.ok) result.cancelled += outcome.changed ? 1 : 0;
    else {
      result.failed += 1;
      console.error(JSON.stringify({ job: "sla-watcher", subOrderId: s.id, outcome }));
    }
  }
  const keys = await stampNudges(
    db,
    toNudge.map((s) => s.id),
    nowIso,
    actor,
  );
  result.nudged = keys.length;
  if (keys.length > 0) await dispatchOutbox(env, keys, now);
  return result;
}
