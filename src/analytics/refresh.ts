import type { RollupRun } from "../contracts/analytics";
import { SLA_BREACH_REASON } from "../contracts/order-status";
import { database } from "../db/client";
import {
  advanceWatermark,
  dirtyDays,
  eventsAfter,
  markCaughtUp,
  orderTimeSpan,
  readRollupState,
  recomputeDay,
  startRebuild,
} from "../db/rollups";
import { addDays, dayStart, daysBetween, localDay } from "../domain/local-day";
import { isoSeconds } from "../domain/time";
import { config } from "../platform/config";

export type RefreshLimits = { eventPages: number; eventsPerPage: number; days: number };

// One invocation's share. An event page is two queries (read, then one batch marking its days and
// moving the watermark); a day is one batch of 14 statements (db/rollups.ts recomputeDay). Four pages of
// 1,000 events and 8 days come to about 130 queries, under the fifth of the 1,000 an invocation may
// spend that the budget test holds each job to (the */15 cron shares its invocation).
export const REFRESH_LIMITS: RefreshLimits = { eventPages: 4, eventsPerPage: 1000, days: 8 };
/**
 * One page of the incremental refresh: read the event log past the watermark, mark the days of the
 * orders it names dirty and move the watermark (compare-and-set: if another refresh moved it first,
 * this one stops having written nothing), then recompute a page of dirty days, newest first. With
 * nothing left, the state records `now` as the time the roll-ups are as of. `continued` says a
 * further page has work.
 */
export async function refreshRollups(env: Env, now: Date, limits = REFRESH_LIMITS): Promise<RollupRun> {
  const db = database(env);
  const timeZone = config(env).timeZone;
  const at = isoSeconds(now);
  const state = await readRollupState(db);
  let watermark = state.watermark;
  let eventsRead = 0;
  let eventsLeft = false;
  for (let page = 0; page < limits.eventPages; page++) {
    const events = await eventsAfter(db, watermark, limits.eventsPerPage);
    const last = events.at(-1);
    if (!last) break;
    const days = [...new Set(events.map((e) => localDay(e.orderCreatedAt, timeZone)))];
    if (!(await advanceWatermark(db, { from: watermark, to: last.id, days, at }))) {
      return {
        watermark,
        asOf: state.asOf,
        eventsRead,
        daysRecomputed: 0,
        daysPending: 0,
        conflicted: true,
        continued: false,
      };
    }
    watermark = last.id;
    eventsRead += events.length;
    eventsLeft = events.length === limits.eventsPerPage;
    if (!eventsLeft) break;
  }
  const due = await dirtyDays(db, limits.days + 1);
  const page = due.slice(0, limits.days);
  for (const day of page) {
    await recomputeDay(db, {
      day,
      start: isoSeconds(dayStart(day, timeZone)),
      end: isoSeconds(dayStart(addDays(day, 1), timeZone)),
      slaBreachReason: SLA_BREACH_REASON,
    });
  }
  const daysPending = due.length - page.length;
  const continued = eventsLeft || daysPending > 0;
  let asOf = state.asOf;
  if (!continued) {
    await markCaughtUp(db, watermark, at);
    asOf = (await readRollupState(db)).asOf;
  }
  return { watermark, asOf, eventsRead, daysRecomputed: page.length, daysPending, conflicted: false, continued };
}

/**
 * A full rebuild: every day from the first order's to today marked dirty, any other day's rows
 * dropped, the watermark moved to the newest event; refreshes then recompute the days from the
 * orders themselves, a page per invocation. Answers the first page's run.
 */
export async function rebuildRollups(env: Env, now: Date, limits = REFRESH_LIMITS): Promise<RollupRun> {
  const db = database(env);
  const timeZone = config(env).timeZone;
  const span = await orderTimeSpan(db);
  const today = localDay(now, timeZone);
  const days = span ? daysBetween(localDay(span.first, timeZone), maxDay(localDay(span.last, timeZone), today)) : [];
  await startRebuild(db, { days, at: isoSeconds(now) });
  return refreshRollups(env, now, limits);
}

const maxDay = (a: string, b: string) => (a > b ? a : b);
