import { cancelLoadedSubOrder } from "../cancellation/sub-order-cancellation";
import { SLA_BREACH_REASON } from "../contracts/order-status";
import { database } from "../db/client";
import {
  type Due,
  dueBreaches,
  dueScans,
  dueSubOrders,
  loadDueSubOrders,
  reportUnfinishedDispatch,
  stampNudges,
  widestNudgeLeadMinutes,
} from "../db/sla";
import { type Actor, systemActor } from "../domain/principal";
import { isoSeconds } from "../domain/time";
import { continueJob, dispatchOutboxIds } from "../gateways/order-events";
import { groupBy, pageWork, withinStockCalls } from "./page";

// Per invocation. A breach costs about eighteen D1 queries (its cancellation batch, the page's
// orders read together, then its refund's read of the ledger and a batch with the refund, its
// numbered credit note and its ledger journal), a stock release per SKU and a refund call; a page
// of six stays near 110 queries, inside a fifth of the 1,000 an invocation may spend beside the
// other jobs of its minute (or the other page and the events of a queue delivery). More breaches continue on the queue, a page
// per consumer invocation, right away. All nudges of a tick cost a handful of queries; more than
// 500 wait a minute.
const BREACH_PAGE = 6;
// Stock-object calls a page's releases may make (a release per SKU of each sub-order): six
// sub-orders of 50 SKUs would be 300 subrequests, so big ones go fewer to a page.
const STOCK_CALLS = 60;
const NUDGE_BATCH = 500;

/** The watcher's two scans at `nowIso`, with its per-tick limits (one past the page, to see whether more wait). */
export function slaScans(nowIso: string, horizon: string, after?: { key: string; id: string }) {
  return dueScans(nowIso, horizon, { breached: BREACH_PAGE + 1, toNudge: NUDGE_BATCH }, after);
}

/**
 * Every minute: a sub-order still undispatched gets one nudge to its vendor per deadline (an
 * approval restarts the clock) once its vendor's nudge lead before the deadline is reached, and is
 * cancelled (`sla_breach_auto`: stock released, its amount refunded with a credit note) once the
 * deadline has passed. Orders held for review have no running clock, nor does a sub-order a
 * reassignment's stock is still moving for (pack and dispatch refuse it meanwhile): a sub-order
 * whose order is flagged, that is given a new deadline, or that a move claims, after the scan read
 * it is not cancelled (the cancel's write lands only while it is still breached, and its released
 * stock is held for the order again when it does not). Running twice, or twice at once, does
 * nothing twice: the nudge is a conditional stamp with a once-only event, and the cancellation is
 * the guarded vendor-cancel step.
 * A breach whose stock has shipped though D1 still reads it open (a dispatch that stopped part-way)
 * cannot be cancelled: ops are told once and the scan leaves it to the vendor's dispatch
 * (`reportUnfinishedDispatch`).
 */
export async function watchSlas(env: Env, now: Date) {
  const db = database(env);
  const nowIso = isoSeconds(now);
  const horizon = isoSeconds(now.getTime() + (await widestNudgeLeadMinutes(db)) * 60_000);
  const { breached, toNudge } = await dueSubOrders(db, slaScans(nowIso, horizon));
  const actor = systemActor("sla-watcher");
  const [page, nudged] = await Promise.all([
    cancelBreaches(env, now, breached, actor),
    nudge(env, now, toNudge, actor),
  ]);
  return { ...page, scanned: page.scanned + toNudge.length, nudged };
}

/** A continued page of breaches: those due at `now` past `after`, in the scan's order. */
export async function continueBreaches(env: Env, now: Date, after: { key: string; id: string }) {
  const nowIso = isoSeconds(now);
  const breached = await dueBreaches(database(env), slaScans(nowIso, nowIso, after));
  return cancelBreaches(env, now, breached, systemActor("sla-watcher"));
}

/**
 * Cancels one page of the breaches scanned (the scan reads one more, to know that more wait) and
 * hands the rest on. Sub-orders of different orders are cancelled side by side, those of one
 * order one after another: each re-derives the parent, and siblings at once would retry it.
 */
async function cancelBreaches(env: Env, now: Date, scanned: Due[], actor: Actor) {
  const page = await loadDueSubOrders(database(env), scanned.slice(0, BREACH_PAGE));
  const skusOf = (l: (typeof page)[number]) =>
    new Set(l.agg.lines.filter((line) => line.subOrderId === l.sub.id).map((line) => line.skuId)).size;
  const loaded = withinStockCalls(page, skusOf, STOCK_CALLS);
  const taken = new Set(loaded.map((l) => l.sub.id));
  // The scan's order, cut where the page's stock calls run out.
  const due = scanned.slice(0, BREACH_PAGE).filter((d) => taken.has(d.id));
  // Read again with the page: one whose order was flagged for review, or that was given a new
  // deadline, since the scan is no breach now and its stock is left alone. The cancel's write
  // checks the same again as it lands (`stillBreached`), for a change during its stock calls, and
  // also a reassignment's claim whose stock has not followed, which this read does not see.
  const nowIso = isoSeconds(now);
  const breached = loaded.filter(
    (l) => !l.agg.order.reviewHeld && l.sub.slaDispatchBy !== null && l.sub.slaDispatchBy <= nowIso,
  );
  const result = {
    scanned: due.length,
    cancelled: 0,
    failed: 0,
    reported: 0,
    skipped: loaded.length - breached.length,
    continued: false,
  };
  const work = pageWork("sla-watcher");
  const byOrder = groupBy(breached, (l) => l.agg.order.id);
  await Promise.all(
    byOrder.map(async (subs) => {
      for (const found of subs) {
        const input = { subOrderId: found.sub.id, reason: SLA_BREACH_REASON, actor, now, slaBreach: true };
        // One cancel that throws (a stock object or D1 unreachable) is left for the next tick; the
        // page's others and its continuation go on, or every later breach would wait behind it.
        const outcome = await cancelLoadedSubOrder(env, work, found, input).catch((err: unknown) => ({
          ok: false as const,
          error: String(err),
        }));
        if (outcome.ok) result.cancelled += outcome.changed ? 1 : 0;
        else if (
          // Refused for a sub-order the page read open: its stock objects say it has shipped.
          "code" in outcome &&
          outcome.code === "ILLEGAL_TRANSITION" &&
          (await reportUnfinishedDispatch(database(env), found.sub.id, isoSeconds(now)).catch(() => false))
        ) {
          result.reported += 1;
        } else {
          result.failed += 1;
          console.error(JSON.stringify({ job: "sla-watcher", subOrderId: found.sub.id, outcome }));
        }
      }
    }),
  );
  await work.settled();
  const last = due.at(-1);
  if (scanned.length > due.length && last) {
    const after = { key: last.slaDispatchBy, id: last.id };
    await continueJob(env, { job: "sla-watcher", at: isoSeconds(now), after });
    result.continued = true;
  }
  return result;
}

/** Stamps the nudges due (one batch however many) and sends the events it wrote. */
async function nudge(env: Env, now: Date, toNudge: Due[], actor: Actor): Promise<number> {
  const { stamped, outbox } = await stampNudges(
    database(env),
    toNudge.map((s) => s.id),
    isoSeconds(now),
    actor,
  );
  await dispatchOutboxIds(
    env,
    outbox.map((r) => r.id),
    now,
  );
  return stamped;
}
