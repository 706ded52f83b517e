import {
  deleteFinishedBridgeRows,
  finishedBridgeRows,
  PRUNE_START,
  type PruneCursor,
  readPruneCursor,
} from "../db/bridge";
import { database } from "../db/client";
import { isoSeconds } from "../domain/time";

/**
 * How long an applied bridge row is kept. Past the drift report (whose rows are kept whatever
 * their age), nothing reads an applied row: what it did to stock is in the stock object's ledger.
 * A week looks back over what a sheet sent when a vendor reports a wrong level, and keeps a 1,000-SKU
 * sheet sent every 15 minutes to about 670,000 rows rather than 2.9 million at 30 days, in a D1
 * database capped at 10 GB that holds the orders too.
 */
export const BRIDGE_RETENTION_DAYS = 7;
// Rows examined (and at most deleted) by one delete: each statement's work stays small, so it
// holds D1's single writer only briefly beside checkouts.
export const PRUNE_PAGE = 1000;
// Pages a run: 5,000 rows a minute, 7.2 million a day, far above what sheets send; a deeper backlog
// (the history before this job existed) goes over the following minutes.
export const PRUNE_PAGES_PER_RUN = 5;

export type PruneResult = { deleted: number; kept: number; pages: number; done: boolean };

/**
 * Deletes applied bridge rows older than the retention, a bounded page at a time, except each
 * (vendor, SKU, warehouse)'s latest applied count and each vendor's latest applied row (the drift
 * report reads them); staged rows are never touched. The walk goes oldest first and is saved, so
 * rows that must stay are passed once a walk, not every run; a walk that reaches the cutoff starts
 * over, and finds the rows a newer count has freed since.
 */
export async function pruneBridgeRows(env: Env, now: Date): Promise<PruneResult> {
  const db = database(env);
  const before = isoSeconds(now.getTime() - BRIDGE_RETENTION_DAYS * 86_400_000);
  let cursor: PruneCursor = await readPruneCursor(db);
  const result: PruneResult = { deleted: 0, kept: 0, pages: 0, done: false };
  while (result.pages < PRUNE_PAGES_PER_RUN && !result.done) {
    const rows = await finishedBridgeRows(db, { after: cursor, before, limit: PRUNE_PAGE });
    const last = rows.at(-1);
    result.done = rows.length < PRUNE_PAGE || last === undefined;
    cursor = result.done || last === undefined ? PRUNE_START : { appliedAt: last.appliedAt, id: last.id };
    const ids = rows.filter((r) => !r.kept).map((r) => r.id);
    result.deleted += await deleteFinishedBridgeRows(db, ids, cursor);
    result.kept += rows.length - ids.length;
    result.pages += 1;
  }
  return result;
}
