import type { RollupRun } from "../contracts/analytics";
import { database } from "../db/client";
import { snapshotStock } from "../db/rollups";
import { localDay } from "../domain/local-day";
import { continueJob } from "../gateways/order-events";
import { config } from "../platform/config";
import { rebuildRollups, refreshRollups } from "./refresh";

/** The quarter-hourly run: today's stock snapshot, then a page of the roll-up refresh. */
export async function runAnalyticsRollups(env: Env, now: Date): Promise<RollupRun> {
  await snapshotStock(database(env), localDay(now, config(env).timeZone));
  return continueRollups(env, now);
}

/** A page of the refresh; if more is due, the next page runs in a queue invocation of its own. */
export async function continueRollups(env: Env, now: Date): Promise<RollupRun> {
  return handOn(env, now, await refreshRollups(env, now));
}

/** The admin's full rebuild: its first page now, the rest on the queue. */
export async function rebuildAnalyticsRollups(env: Env, now: Date): Promise<RollupRun> {
  return handOn(env, now, await rebuildRollups(env, now));
}

async function handOn(env: Env, now: Date, run: RollupRun): Promise<RollupRun> {
  if (run.continued)
    await continueJob(env, {
      job: "analytics-rollups",
      at: now.toISOString(),
      // The refresh's cursor is the watermark kept in D1; this one only says where it stood.
      after: { key: String(run.watermark), id: "watermark" },
    });
  return run;
}
