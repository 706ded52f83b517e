import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { chunks, selectIn } from "./chunks";
import type { Db } from "./client";
import { uniqueViolation } from "./constraints";
import { bridgePruneCursor, bridgeRows, bridgeRuns, bridgeSecrets, skus, warehouses } from "./schema";

// Rows go in and results come back as one JSON parameter per statement (json_each), not one bound
// value per column: D1 binds 100 parameters at most, so 1,000 rows cost 2 statements, not 200.
// Half a thousand compact rows is about 50 kB, well inside D1's 2 MB value limit.
const JSON_ROWS_PER_STATEMENT = 500;

export async function findBridgeSecret(db: Db, vendorId: string) {
  return (await db.select().from(bridgeSecrets).where(eq(bridgeSecrets.vendorId, vendorId)).get()) ?? null;
}

/** A new secret replaces the old at once: a leaked secret stops working the moment it is rotated. */
export async function saveBridgeSecret(db: Db, vendorId: string, sealed: string, rotatedAt: string): Promise<void> {
  await db
    .insert(bridgeSecrets)
    .values({ vendorId, sealed, rotatedAt })
    .onConflictDoUpdate({ target: bridgeSecrets.vendorId, set: { sealed, rotatedAt } });
}

/** The vendor's SKUs among these ids and codes, and its warehouses among these ids. */
export async function bridgeTargets(
  db: Db,
  vendorId: string,
  q: { skuIds: string[]; skuCodes: string[]; warehouseIds: string[] },
) {
  const [byId, byCode, ownWarehouses] = await Promise.all([
    selectIn(db, q.skuIds, (ids) =>
      db
        .select({ id: skus.id, code: skus.code })
        .from(skus)
        .where(and(eq(skus.vendorId, vendorId), inArray(skus.id, ids))),
    ),
    selectIn(db, q.skuCodes, (codes) =>
      db
        .select({ id: skus.id, code: skus.code })
        .from(skus)
        .where(and(eq(skus.vendorId, vendorId), inArray(skus.code, codes))),
    ),
    selectIn(db, q.warehouseIds, (ids) =>
      db
        .select({ id: warehouses.id })
        .from(warehouses)
        .where(and(eq(warehouses.vendorId, vendorId), inArray(warehouses.id, ids))),
    ),
  ]);
  return {
    skuIds: new Set(byId.map((s) => s.id)),
    skuByCode: new Map(byCode.map((s) => [s.code, s.id])),
    warehouseIds: new Set(ownWarehouses.map((w) => w.id)),
  };
}

export type StagedRow = {
  skuId: string;
  warehouseId: string;
  kind: "count" | "delta";
  qty: number;
  /** epoch ms: when a count was taken; when a delta was received (the stock object nets counts by it). */
  countedAt: number | null;
  reason: string | null;
};

/** A bridge request's Idempotency-Key, kept with its receipt like every other key. */
export type BridgeRequestKey = { scope: string; key: string; requestHash: string; at: string; expiresAt: string };

/**
 * The request's signature, its rows and its Idempotency-Key (if sent) with the receipt, in one
 * batch: all of them or, when the key or the signature was taken before (a retry, a replay, or the
 * same request twice at once), none. Raw D1 statements: the rows go in through json_each, which
 * drizzle's batch cannot carry.
 */
export async function stageBridgeRows(
  db: Db,
  input: {
    vendorId: string;
    signature: string;
    seenAt: number;
    receivedAt: string;
    rows: StagedRow[];
    request: BridgeRequestKey | null;
  },
): Promise<{ ok: true; ids: number[] } | { ok: false; code: "REPLAYED" | "KEY_TAKEN" }> {
  const d1 = db.$client;
  const r = input.request;
  const inserts = chunks(input.rows, JSON_ROWS_PER_STATEMENT).map((part) =>
    d1
      .prepare(
        `insert into bridge_rows (vendor_id, sku_id, warehouse_id, kind, qty, counted_at, reason, received_at)
         select ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, ?2
         from json_each(?3) order by key
         returning id`,
      )
      .bind(
        input.vendorId,
        input.receivedAt,
        JSON.stringify(part.map((r) => [r.skuId, r.warehouseId, r.kind, r.qty, r.countedAt, r.reason])),
      ),
  );
  const signature = d1
    .prepare("insert into bridge_signatures (signature, vendor_id, seen_at) values (?, ?, ?)")
    .bind(input.signature, input.vendorId, input.seenAt);
  // The key is taken first, so a retry re-signed or not is told apart from a replay; its receipt is
  // written by the same batch from the rows just staged (ids of one batch are consecutive).
  const keyed = r
    ? [
        d1
          .prepare(
            `insert into idempotency_keys (scope, key, request_hash, response_status, response_body, created_at, expires_at)
             values (?, ?, ?, 202, '', ?, ?)`,
          )
          .bind(r.scope, r.key, r.requestHash, r.at, r.expiresAt),
      ]
    : [];
  const receipt = r
    ? [
        d1
          .prepare(
            `update idempotency_keys set response_body = json_object('staged', ?1, 'rowIds',
               (select json_group_array(id) from (select id from bridge_rows
                  where id > (select max(id) from bridge_rows) - ?1 order by id)))
             where scope = ?2 and key = ?3`,
          )
          .bind(input.rows.length, r.scope, r.key),
      ]
    : [];
  try {
    const results = await d1.batch<{ id: number }>([...keyed, signature, ...inserts, ...receipt]);
    const staged = results.slice(keyed.length + 1, keyed.length + 1 + inserts.length);
    return { ok: true, ids: staged.flatMap((x) => x.results.map((row) => row.id)) };
  } catch (err) {
    const table = uniqueViolation(err)?.table;
    if (table === "idempotency_keys") return { ok: false, code: "KEY_TAKEN" };
    if (table === "bridge_signatures") return { ok: false, code: "REPLAYED" };
    throw err;
  }
}

export type ClaimedRow = {
  id: number;
  skuId: string;
  warehouseId: string;
  vendorId: string;
  kind: "count" | "delta";
  qty: number;
  countedAt: number | null;
  reason: string | null;
};

/**
 * One statement that leases the staged rows of at most `skus` SKUs (at most `rows` rows in all) whose
 * lease is free or lapsed: SQLite runs one write at a time, so two reconciles at once never lease
 * the same row. A reconcile that dies leaves its rows to be leased again when the lease lapses.
 */
export async function claimBridgeRows(
  db: Db,
  q: { lease: string; now: number; leaseUntil: number; skus: number; rows: number },
): Promise<ClaimedRow[]> {
  const free = sql`status = 'staged' and (lease_until is null or lease_until < ${q.now})`;
  // An equal share of the page per SKU, oldest first: a page spreads over as many stock objects
  // as it may call, and one SKU with a deep backlog does not fill it alone (nor, alone, get less).
  // A SKU is chosen only when its oldest staged row is free: while another page holds its older
  // rows (or their lease has yet to lapse after a failed call), newer rows wait, since a delta
  // applied before an older one can clamp where the two in order would not (-20 then +50 on 10
  // units all committed: 60, not 40).
  return db.all<ClaimedRow>(sql`
    with chosen as (
      select distinct b.sku_id from ${bridgeRows} b
      where ${free} and b.id = (select min(f.id) from ${bridgeRows} f where f.status = 'staged' and f.sku_id = b.sku_id)
      limit ${q.skus}),
    ranked as (
      select id, row_number() over (partition by sku_id order by id) as n from ${bridgeRows}
      where ${free} and sku_id in (select sku_id from chosen)
    )
    update ${bridgeRows} set lease = ${q.lease}, lease_until = ${q.leaseUntil}
    where id in (select id from ranked where n <= ${q.rows} / (select count(*) from chosen))
    returning id, sku_id as skuId, warehouse_id as warehouseId, vendor_id as vendorId, kind, qty,
      counted_at as countedAt, reason`);
}

export type SettledRow = {
  id: number;
  outcome: "applied" | "superseded" | "clamped";
  onHandBefore: number;
  onHandAfter: number;
  target: number;
  shortfall: number;
};

/**
 * Marks rows applied with what the stock object answered, forgets signatures past `forgetBefore`
 * and records the page, in one batch; answers how many statements it ran. Guarded by status only,
 * not the lease: a row whose lease lapsed and was applied again got the stock object's stored
 * first answer, so every writer writes the same result.
 */
export async function finishBridgePage(
  db: Db,
  settled: SettledRow[],
  q: {
    appliedAt: string;
    forgetBefore: number;
    run: Omit<typeof bridgeRuns.$inferInsert, "queries">;
    queriesBefore: number;
  },
): Promise<number> {
  const d1 = db.$client;
  const settles = chunks(settled, JSON_ROWS_PER_STATEMENT).map((part) =>
    d1
      .prepare(
        `update bridge_rows
         set status = 'applied', applied_at = ?1, lease = null, lease_until = null,
           outcome = r.value ->> 1, on_hand_before = r.value ->> 2, on_hand_after = r.value ->> 3,
           target = r.value ->> 4, shortfall = r.value ->> 5
         from json_each(?2) as r
         where bridge_rows.id = r.value ->> 0 and bridge_rows.status = 'staged'`,
      )
      .bind(
        q.appliedAt,
        JSON.stringify(part.map((r) => [r.id, r.outcome, r.onHandBefore, r.onHandAfter, r.target, r.shortfall])),
      ),
  );
  const queries = q.queriesBefore + settles.length + 2;
  await d1.batch([
    ...settles,
    d1.prepare("delete from bridge_signatures where seen_at < ?").bind(q.forgetBefore),
    d1
      // A page that found nothing (most minutes) leaves no record.
      .prepare(
        "insert into bridge_runs (started_at, finished_at, rows, skus, queries) select ?1, ?2, ?3, ?4, ?5 where ?3 > 0",
      )
      .bind(q.run.startedAt, q.run.finishedAt, q.run.rows, q.run.skus, queries),
  ]);
  return queries;
}

export type DriftLine = {
  skuId: string;
  skuCode: string;
  warehouseId: string;
  warehouseName: string;
  counted: number;
  countedAt: number;
  onHandBefore: number;
  onHandAfter: number;
  target: number;
  shortfall: number;
  outcome: "applied" | "superseded" | "clamped";
  appliedAt: string;
};

/**
 * Per (SKU, warehouse), the latest count applied: what the sheet said, where the marketplace stood
 * (net of what moved since the count was taken), and what was applied; largest disagreement first.
 */
export async function bridgeDrift(db: Db, vendorId: string, limit: number) {
  const [lines, totals] = await Promise.all([
    db.all<DriftLine>(sql`
      select r.sku_id as skuId, s.code as skuCode, r.warehouse_id as warehouseId, w.name as warehouseName,
        r.qty as counted, r.counted_at as countedAt, r.on_hand_before as onHandBefore,
        r.on_hand_after as onHandAfter, r.target, r.shortfall, r.outcome, r.applied_at as appliedAt
      from ${bridgeRows} r
      join ${skus} s on s.id = r.sku_id
      join ${warehouses} w on w.id = r.warehouse_id
      where r.id in (
        select max(id) from ${bridgeRows}
        where vendor_id = ${vendorId} and kind = 'count' and status = 'applied' and outcome <> 'superseded'
        group by sku_id, warehouse_id
      )
      order by abs(r.target - r.on_hand_before) desc, r.sku_id, r.warehouse_id
      limit ${limit}`),
    db.all<{ staged: number | null; lastAppliedAt: string | null }>(sql`
      select sum(status = 'staged') as staged, max(applied_at) as lastAppliedAt
      from ${bridgeRows} where vendor_id = ${vendorId}`),
  ]);
  return { lines, staged: totals[0]?.staged ?? 0, lastAppliedAt: totals[0]?.lastAppliedAt ?? null };
}

/** A position in the walk over applied rows by (applied_at, id); START is before the oldest. */
export type PruneCursor = { appliedAt: string; id: number };
export const PRUNE_START: PruneCursor = { appliedAt: "", id: 0 };

export async function readPruneCursor(db: Db): Promise<PruneCursor> {
  const row = await db.select().from(bridgePruneCursor).where(eq(bridgePruneCursor.id, 1)).get();
  return row ? { appliedAt: row.appliedAt, id: row.rowId } : PRUNE_START;
}

export type FinishedRow = { id: number; appliedAt: string; kept: 0 | 1 };

/**
 * The next `limit` applied rows after `after` that were applied before `before`, oldest first
 * (bridge_rows_finished), each saying whether it must stay: the latest applied count of its
 * (vendor, SKU, warehouse), which the drift report shows, or the vendor's latest applied row, whose
 * time the report gives as lastAppliedAt. Both only move to newer rows, so a row found not kept
 * stays deletable. Staged rows are never read.
 */
export async function finishedBridgeRows(
  db: Db,
  q: { after: PruneCursor; before: string; limit: number },
): Promise<FinishedRow[]> {
  return db.all<FinishedRow>(sql`
    select r.id, r.applied_at as appliedAt,
      (r.kind = 'count' and r.outcome <> 'superseded' and not exists (
        select 1 from ${bridgeRows} n
        where n.vendor_id = r.vendor_id and n.sku_id = r.sku_id and n.warehouse_id = r.warehouse_id
          and n.id > r.id and n.kind = 'count' and n.status = 'applied' and n.outcome <> 'superseded'))
      or not exists (
        select 1 from ${bridgeRows} v
        where v.vendor_id = r.vendor_id and v.status = 'applied' and v.applied_at > r.applied_at) as kept
    from ${bridgeRows} r
    where r.status = 'applied' and r.applied_at < ${q.before}
      and (r.applied_at, r.id) > (${q.after.appliedAt}, ${q.after.id})
    order by r.applied_at, r.id
    limit ${q.limit}`);
}

/**
 * Deletes these applied rows and saves where the walk goes on, in one batch; answers how many
 * went. The ids go in as one JSON parameter (D1 binds 100 at most). A staged row is never deleted.
 */
export async function deleteFinishedBridgeRows(db: Db, ids: number[], next: PruneCursor): Promise<number> {
  const d1 = db.$client;
  const [deleted] = await d1.batch([
    d1
      .prepare("delete from bridge_rows where id in (select value from json_each(?)) and status = 'applied'")
      .bind(JSON.stringify(ids)),
    d1
      .prepare(
        `insert into bridge_prune_cursor (id, applied_at, row_id) values (1, ?1, ?2)
         on conflict (id) do update set applied_at = ?1, row_id = ?2`,
      )
      .bind(next.appliedAt, next.id),
  ]);
  return deleted?.meta.changes ?? 0;
}

/** Forgets reconcile pages started before `before` (epoch ms); returns the statement so it joins a batch. */
export function deleteBridgeRunsBefore(db: Db, before: number) {
  return db.delete(bridgeRuns).where(lt(bridgeRuns.startedAt, before)).returning({ id: bridgeRuns.id });
}
