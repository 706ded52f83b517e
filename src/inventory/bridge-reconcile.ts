import { type ClaimedRow, claimBridgeRows, finishBridgePage, type SettledRow } from "../db/bridge";
import { database } from "../db/client";
import { REPLAY_WINDOW_SECONDS } from "../domain/bridge-signature";
import { newId } from "../domain/ids";
import { isoSeconds } from "../domain/time";
import { type AdjustReason, applyBridgeRows, type BridgeRow } from "../gateways/stock";

// One page: the staged rows of at most 100 SKUs, one stock-object call each (the page's
// subrequests), at most 2,000 rows. Its D1 queries are few whatever the size: the claim, one
// settle statement per 500 rows and the run's record, in one batch. 100 calls stay inside the
// fifth of an invocation's 1,000 subrequests that a job's page may spend.
export const BRIDGE_PAGE = { skus: 100, rows: 2000 };
// Far longer than a page takes; a page that dies leaves its rows to the next claim after this.
const LEASE_MS = 2 * 60_000;

export type ReconcileResult = { rows: number; skus: number; failedSkus: number; queries: number; more: boolean };

/**
 * Claims one page of staged rows (leased, so a reconcile running beside it takes others), applies
 * each SKU's rows in its stock object (idempotent by row id, so a row claimed again after a lapsed
 * lease is not applied twice) and marks them applied with what the object answered. A SKU whose
 * call fails keeps its rows staged for the next claim once the lease lapses.
 */
export async function reconcileBridgePage(env: Env, now: Date): Promise<ReconcileResult> {
  const db = database(env);
  const startedAt = Date.now();
  // A queue continuation's `now` is when it was sent, and a retried one arrives minutes after that:
  // the lease runs from the real clock (or a test's later one), or it would already have lapsed and
  // a page running beside this one would take the same rows.
  const claimAt = Math.max(now.getTime(), startedAt);
  const claimed = await claimBridgeRows(db, {
    lease: newId("lease"),
    now: claimAt,
    leaseUntil: claimAt + LEASE_MS,
    ...BRIDGE_PAGE,
  });
  const bySku = new Map<string, ClaimedRow[]>();
  for (const r of claimed) bySku.set(r.skuId, [...(bySku.get(r.skuId) ?? []), r]);
  const settled: SettledRow[] = [];
  let failedSkus = 0;
  await Promise.all(
    [...bySku].map(async ([skuId, rows]) => {
      try {
        settled.push(...(await applySku(env, skuId, rows)));
      } catch (err) {
        failedSkus += 1;
        console.error(JSON.stringify({ job: "inventory-bridge", skuId, error: String(err) }));
      }
    }),
  );
  const queries = await finishBridgePage(db, settled, {
    appliedAt: isoSeconds(new Date()),
    forgetBefore: now.getTime() - 2 * REPLAY_WINDOW_SECONDS * 1000,
    run: { startedAt, finishedAt: Date.now(), rows: settled.length, skus: bySku.size },
    queriesBefore: 1,
  });
  // A SKU that filled its share of the page may have more; so may SKUs past the page's count.
  const share = Math.floor(BRIDGE_PAGE.rows / Math.max(1, bySku.size));
  const more = bySku.size >= BRIDGE_PAGE.skus || [...bySku.values()].some((rows) => rows.length >= share);
  return { rows: settled.length, skus: bySku.size, failedSkus, queries, more };
}

async function applySku(env: Env, skuId: string, rows: ClaimedRow[]): Promise<SettledRow[]> {
  const ordered = [...rows].sort((a, b) => a.id - b.id);
  const { results } = await applyBridgeRows(env, {
    skuId,
    actor: `bridge:${ordered[0]!.vendorId}`,
    rows: ordered.map(toBridgeRow),
  });
  return results.map((r) => ({
    id: Number(r.rowId),
    outcome: r.outcome,
    onHandBefore: r.onHandBefore,
    onHandAfter: r.onHandAfter,
    target: r.target,
    shortfall: r.shortfall,
  }));
}

function toBridgeRow(r: ClaimedRow): BridgeRow {
  const rowId = String(r.id);
  if (r.kind === "count") {
    return { rowId, warehouseId: r.warehouseId, kind: "count", count: r.qty, countedAt: r.countedAt! };
  }
  // A delta's counted_at is when it was received (rows staged before that was kept have none).
  const received = r.countedAt === null ? {} : { receivedAt: r.countedAt };
  return {
    rowId,
    warehouseId: r.warehouseId,
    kind: "delta",
    delta: r.qty,
    reason: r.reason as AdjustReason,
    ...received,
  };
}
