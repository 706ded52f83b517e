import { DurableObject } from "cloudflare:workers";
import { COUNTED_AT_MAX_AHEAD_MS } from "../src/contracts/bridge";
import { ADJUSTMENT_KEY_TTL_MS } from "../src/contracts/stock";
import { type Allocation, allocate, type Level, reallocate } from "../src/domain/stock-allocation";
import { StockFeedPusher } from "./outward/stock-feed";
import { flushStockMirror } from "./outward/stock-mirror";
import type {
  AdjustInput,
  BridgeInput,
  BridgeResult,
  BridgeRow,
  BridgeRowResult,
  CountResult,
  HoldResult,
  HoldRow,
  HoldStatus,
  LedgerEntry,
  LedgerKind,
  LevelsForHold,
  ReallocateRequest,
  ReallocateResult,
  ReserveRequest,
  ReserveResult,
  SetOnHandInput,
  StaleLevel,
  StockChangeResult,
  StockCount,
  StockSnapshot,
  WarehouseStock,
} from "./sku-stock-rpc";
import {
  ADDRESS_EARLIEST_EXPIRY,
  ADDRESS_UNPAID,
  CLOSED_SKIP_MS,
  COUNTED_AT_OR_SINCE,
  COUNTED_SINCE,
  COUNTER_DRIFT,
  freeUnits,
  MOVED_SINCE,
  migrate,
} from "./sku-stock-storage";

/** A warehouse whose held and committed counters disagree with the units its hold rows keep so. */
export type CounterDrift = {
  warehouseId: string;
  onHand: number;
  held: number;
  committed: number;
  heldInHolds: number;
  committedInHolds: number;
};

/** Coalescing window of the D1 mirror: at most one D1 batch per object per this many ms. */
const MIRROR_DELAY_MS = 500;
const MIRROR_MAX_BACKOFF_MS = 60_000;

type StockRow = {
  warehouse_id: string;
  on_hand: number;
  held: number;
  committed: number;
  version: number;
  /** Of on_hand, the units the shelf lacks (see the storage migration); held and committed cover them. */
  shortfall: number;
  /** When its warehouse closed (epoch ms; null while open): claims skip it for CLOSED_SKIP_MS. */
  closed_at: number | null;
};
type HoldDbRow = {
  warehouse_id: string;
  qty: number;
  status: HoldStatus;
  customer_id: string | null;
  client_address: string | null;
  expires_at: number;
};
type DriftRow = {
  warehouse_id: string;
  on_hand: number;
  held: number;
  committed: number;
  held_in_holds: number;
  committed_in_holds: number;
};
type MetaRow = {
  sku_id: string | null;
  version: number;
  mirror_dirty: number;
  mirror_due_at: number | null;
  mirror_failures: number;
};

function warehouseStock(r: StockRow): WarehouseStock {
  return {
    warehouseId: r.warehouse_id,
    onHand: r.on_hand,
    available: r.on_hand - r.held - r.committed,
    held: r.held,
    committed: r.committed,
    version: r.version,
  };
}

function allocationsOf(rows: HoldDbRow[]): Allocation[] {
  return rows.map((r) => ({ warehouseId: r.warehouse_id, qty: r.qty }));
}

function assertInt(name: string, v: unknown, min: number): asserts v is number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    throw new TypeError(`${name} must be an integer >= ${min}, got ${String(v)}`);
  }
}

/**
 * The stock of one SKU across its warehouses, and every hold on it. The single source of truth for
 * availability: the object is single-threaded, so a check and its write in one synchronous block can
 * never interleave with another claim.
 */
export class SkuStock extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** The alarm currently scheduled, mirrored in memory so claims can compare without an await. */
  private alarmAt: number | null = null;
  private skuId: string | null = null;
  /** Live feeds (the SKU's and its vendor's), pushed after each change, outside the critical section. */
  private readonly feeds: StockFeedPusher;
  private feedsDue = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.feeds = new StockFeedPusher(env, () => this.readSnapshot());
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage);
      this.skuId = this.meta().sku_id;
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  // ---- RPC: holds -------------------------------------------------------------------------

  reserve(req: ReserveRequest): ReserveResult {
    assertInt("qty", req.qty, 1);
    if (!Number.isFinite(req.expiresAt)) throw new TypeError("expiresAt must be epoch milliseconds");
    if (req.maxUnitsPerCustomer !== undefined) assertInt("maxUnitsPerCustomer", req.maxUnitsPerCustomer, 0);
    if (req.maxUnitsPerAddress !== undefined) assertInt("maxUnitsPerAddress", req.maxUnitsPerAddress, 0);
    return this.critical(() => {
      const now = Date.now();
      this.claimSku(req.skuId);
      const existing = this.holdRows(req.holdId);
      if (existing.length > 0) {
        const answer = this.reserveAgain(req, existing);
        if (answer) return answer;
      }
      const limited = this.customerLimit(req) ?? this.addressLimit(req, now);
      if (limited) return limited;
      const plan = allocate(req.qty, req.warehouses, this.levels());
      if (!plan.ok) return plan;
      const reopened = existing.length > 0;
      // A reopened hold starts afresh; its released rows stay only in the ledger.
      if (reopened) this.sql.exec("DELETE FROM holds WHERE hold_id = ?", req.holdId);
      this.writeHold(req, plan.allocations, reopened ? "reopen" : "hold", now);
      this.touch(now);
      return { ok: true, holdId: req.holdId, allocations: plan.allocations, expiresAt: req.expiresAt, replayed: false };
    });
  }

  /**
   * Several claims in one call, answered in order, each exactly as `reserve` answers it alone. The
   * Worker sends the claims waiting on this SKU together (gateways/stock), so a burst pays one RPC
   * and one storage commit per group instead of per claim.
   */
  reserveMany(reqs: ReserveRequest[]): ReserveResult[] {
    return reqs.map((req) => this.reserve(req));
  }

  commit(holdId: string): HoldResult {
    return this.critical(() => {
      const rows = this.holdRows(holdId);
      const status = rows[0]?.status;
      if (status === undefined) return { ok: false, code: "HOLD_NOT_FOUND" };
      if (status === "released") return { ok: false, code: "HOLD_RELEASED" };
      // Past expires_at is fine while still held: the units were never given to anyone else.
      if (status === "held") this.move(holdId, rows, "committed", "commit", "payment", "system");
      return { ok: true, allocations: allocationsOf(rows) };
    });
  }

  ship(holdId: string): HoldResult {
    return this.critical(() => {
      const rows = this.holdRows(holdId);
      const status = rows[0]?.status;
      if (status === undefined) return { ok: false, code: "HOLD_NOT_FOUND" };
      if (status === "held" || status === "released") return { ok: false, code: "NOT_COMMITTED" };
      if (status === "committed") this.move(holdId, rows, "shipped", "ship", "dispatched", "system");
      return { ok: true, allocations: allocationsOf(rows) };
    });
  }

  /**
   * Gives a hold's units back, paid or not (a cancel). `unpaidOnly`: a claim's own clean-up, which
   * must leave a hold that another request under the same hold id has paid for meanwhile.
   */
  release(holdId: string, reason: string, opts: { unpaidOnly?: boolean } = {}): HoldResult {
    return this.critical(() => {
      const rows = this.holdRows(holdId);
      const status = rows[0]?.status;
      // Releasing something never taken is a no-op, so an abandoned checkout can always clean up.
      if (status === undefined) return { ok: true, allocations: [] };
      if (status === "shipped") return { ok: false, code: "ALREADY_SHIPPED" };
      if (status === "committed" && opts.unpaidOnly) return { ok: false, code: "ALREADY_COMMITTED" };
      if (status !== "released") this.move(holdId, rows, "released", "release", reason, "system");
      return { ok: true, allocations: allocationsOf(rows) };
    });
  }

  holdsOf(holdId: string): HoldRow[] {
    return this.holdRows(holdId).map((r) => ({
      warehouseId: r.warehouse_id,
      qty: r.qty,
      status: r.status,
      expiresAt: r.expires_at,
      customerId: r.customer_id,
    }));
  }

  /**
   * Takes units out of a hold and/or adds units to it, all or nothing in one critical section: every
   * check runs before the first write, so a refusal changes nothing. Units added join the hold's
   * status (committed for a paid order); a hold with none of this SKU yet starts as `status`.
   * Units another hold set aside for the move (`setAside`) join in the same section. Takes-and-adds
   * on one SKU move stock between its warehouses atomically; across SKUs the caller adds on the new
   * SKU first and takes from the old one after.
   */
  reallocate(req: ReallocateRequest): ReallocateResult {
    for (const t of req.take ?? []) assertInt("take qty", t.qty, 1);
    for (const a of req.add ?? []) assertInt("add qty", a.qty, 1);
    if (!Number.isFinite(req.expiresAt)) throw new TypeError("expiresAt must be epoch milliseconds");
    if (req.setAside === req.holdId) throw new TypeError("setAside must name another hold");
    return this.critical((): ReallocateResult => {
      const now = Date.now();
      this.claimSku(req.skuId);
      const key = `reallocate:${req.key}`;
      const { key: _key, ...change } = req;
      const fingerprint = JSON.stringify(change);
      const seen = this.seenKey(key);
      if (seen) {
        if (seen.fingerprint !== fingerprint) return { ok: false, code: "KEY_REUSED" };
        return { ...(JSON.parse(seen.result) as Extract<ReallocateResult, { ok: true }>), replayed: true };
      }

      const rows = this.holdRows(req.holdId);
      const status = rows[0]?.status;
      if (status === "shipped") return { ok: false, code: "HOLD_CLOSED", status };
      const live = status === "held" || status === "committed" ? status : null;
      // The set-aside units are planned as free and released below in this same section: nothing can
      // claim them in between, so they go only where `add` places them. One that lapsed frees nothing.
      const aside = req.setAside === undefined ? [] : this.holdRows(req.setAside);
      const freed = aside[0]?.status === "held" ? aside : [];
      const plan = reallocate({
        held: live ? allocationsOf(rows) : [],
        levels: this.levels(freed),
        take: req.take ?? [],
        add: req.add ?? [],
      });
      if (!plan.ok) return plan;

      // Held units going from one hold to another: a shortfall there keeps them on hand.
      if (freed.length > 0) {
        this.move(req.setAside!, freed, "released", "release", "set_aside_joined", req.actor, {
          intoAnotherHold: true,
        });
      }
      // A released hold starts afresh, as a reopened reserve does; its rows stay only in the ledger.
      if (!live && rows.length > 0) this.sql.exec("DELETE FROM holds WHERE hold_id = ?", req.holdId);
      const unitStatus = live ?? req.status;
      this.takeFromHold(req, rows, plan.taken, unitStatus, now);
      this.addToHold(req, live ? rows[0] : undefined, plan.added, unitStatus, now);
      this.touch(now);
      const result: ReallocateResult = {
        ok: true,
        taken: plan.taken,
        added: plan.added,
        allocations: allocationsOf(this.holdRows(req.holdId)),
        replayed: false,
      };
      this.remember(key, fingerprint, result, now);
      return result;
    });
  }

  // ---- RPC: stock levels ------------------------------------------------------------------

  /**
   * A count of one or more warehouses, all or nothing: every check runs before the first write.
   * Each count names the on-hand version it was made against once its level exists, so a count
   * taken before a restock, adjustment or shipment cannot silently undo it; holds and commits leave
   * the version alone, so a count survives a busy checkout.
   */
  setOnHand(input: SetOnHandInput): CountResult {
    const warehouses = input.counts.map((c) => c.warehouseId);
    if (warehouses.length === 0 || new Set(warehouses).size !== warehouses.length) {
      throw new TypeError("counts must name each warehouse once, at least one");
    }
    for (const c of input.counts) {
      assertInt("onHand", c.onHand, 0);
      if (c.expectedVersion !== undefined) assertInt("expectedVersion", c.expectedVersion, 0);
    }
    return this.critical((): CountResult => {
      const now = Date.now();
      this.claimSku(input.skuId);
      const rows = input.counts.map((c) => this.stockRow(c.warehouseId));
      const refused = this.staleCounts(input.counts, rows);
      if (refused) return refused;
      for (const [i, c] of input.counts.entries()) {
        const minimum = rows[i] ? rows[i].held + rows[i].committed : 0;
        if (c.onHand < minimum) return { ok: false, code: "STOCK_BELOW_RESERVED", warehouseId: c.warehouseId, minimum };
      }
      for (const [i, c] of input.counts.entries()) {
        this.writeOnHand(c.warehouseId, c.onHand, now);
        const change = c.onHand - (rows[i]?.on_hand ?? 0);
        this.record(now, c.warehouseId, "set", change, c.onHand, input.reason, input.actor);
      }
      this.touch(now);
      return { ok: true, snapshot: this.readSnapshot() };
    });
  }

  adjust(input: AdjustInput): StockChangeResult {
    assertInt("delta", input.delta, -Number.MAX_SAFE_INTEGER);
    return this.critical(() => {
      const now = Date.now();
      this.claimSku(input.skuId);
      const fingerprint = JSON.stringify([input.skuId, input.warehouseId, input.delta, input.reason]);
      if (input.idempotencyKey !== undefined) {
        const seen = this.seenKey(input.idempotencyKey);
        if (seen) {
          if (seen.fingerprint !== fingerprint) return { ok: false, code: "IDEMPOTENCY_KEY_REUSED" };
          return { ...(JSON.parse(seen.result) as Extract<StockChangeResult, { ok: true }>), replayed: true };
        }
      }
      const row = this.stockRow(input.warehouseId);
      const minimum = row ? row.held + row.committed : 0;
      const shelf = (row ? row.on_hand - row.shortfall : 0) + input.delta;
      if (input.delta < 0 && shelf < minimum) return { ok: false, code: "STOCK_BELOW_RESERVED", minimum };
      // A restock onto a shortfall first makes up what the shelf lacked.
      const onHand = Math.max(shelf, minimum);
      this.writeOnHand(input.warehouseId, onHand, now, onHand - shelf);
      this.record(now, input.warehouseId, "adjust", input.delta, onHand, input.reason, input.actor);
      const result = this.changed(input.warehouseId, now);
      // A refused adjustment is not remembered: nothing was applied, so a retry may succeed later.
      if (input.idempotencyKey !== undefined) this.remember(input.idempotencyKey, fingerprint, result, now);
      return result;
    });
  }

  /**
   * Rows of a vendor's inventory bridge, each applied at most once by its row id (a second
   * reconcile of the same row answers the first result). A count is physical on hand at its
   * `countedAt`: it lands net of the shipments, returns and adjustments recorded since then, and
   * holds and commits never move on hand, so a count never undoes a checkout that held meanwhile.
   * A count older than one already applied changes nothing. On hand never goes below what is held
   * and committed: a sheet that says fewer stops there, reports the shortfall and keeps it, so the
   * units those holds give back leave on hand instead of going on sale.
   */
  applyBridge(input: BridgeInput): BridgeResult {
    for (const r of input.rows) {
      if (r.kind === "count") assertInt("count", r.count, 0);
      else assertInt("delta", r.delta, -Number.MAX_SAFE_INTEGER);
    }
    return this.critical((): BridgeResult => {
      const now = Date.now();
      this.claimSku(input.skuId);
      let changed = false;
      const results = input.rows.map((row) => {
        const key = `bridge:${row.rowId}`;
        const seen = this.seenKey(key);
        if (seen) return JSON.parse(seen.result) as BridgeRowResult;
        const result = this.applyBridgeRow(row, input.actor, now);
        changed ||= result.onHandAfter !== result.onHandBefore || row.kind === "count";
        this.remember(key, JSON.stringify(row), result, now);
        return result;
      });
      if (changed) this.touch(now);
      return { results, snapshot: this.readSnapshot() };
    });
  }

  snapshot(): StockSnapshot {
    return this.readSnapshot();
  }

  /**
   * The warehouses whose counters drifted from the hold rows they count; none while the two agree.
   * The invariant audit's check: a snapshot cannot show a drift, its available being derived from
   * the same counters. Read only.
   */
  audit(): CounterDrift[] {
    return this.sql
      .exec<DriftRow>(COUNTER_DRIFT)
      .toArray()
      .map((r) => ({
        warehouseId: r.warehouse_id,
        onHand: r.on_hand,
        held: r.held,
        committed: r.committed,
        heldInHolds: r.held_in_holds,
        committedInHolds: r.committed_in_holds,
      }));
  }

  /**
   * A warehouse of the SKU's vendor opened or closed: the storefront count moves with nothing sold,
   * so the SKU takes a new version (the feeds append one event per version) and pushes it, and its
   * claims skip a closed one while a checkout's cached catalog may still list it.
   */
  sellerChanged(warehouse?: { warehouseId: string; closed: boolean }): void {
    if (this.skuId === null) return;
    this.feeds.forgetSeller();
    this.critical(() => {
      if (warehouse) {
        this.sql.exec(
          "UPDATE stock SET closed_at = ? WHERE warehouse_id = ?",
          warehouse.closed ? Date.now() : null,
          warehouse.warehouseId,
        );
      }
      this.touch(Date.now());
    });
  }

  /** What routing ranks a checkout's warehouses by: see `LevelsForHold`. */
  levelsForHold(holdId: string): LevelsForHold {
    const rows = this.holdRows(holdId);
    // One row per warehouse a hold took from (the primary key).
    const own = new Map(rows.filter((r) => r.status === "held").map((r) => [r.warehouse_id, r.qty]));
    return {
      warehouses: this.stockRows().map((row) => {
        const w = warehouseStock(row);
        return { warehouseId: w.warehouseId, available: w.available + (own.get(w.warehouseId) ?? 0) };
      }),
      used: rows.length > 0,
    };
  }

  ledger(limit: number): LedgerEntry[] {
    const n = Math.max(1, Math.min(1000, Math.trunc(limit) || 1));
    return this.sql
      .exec<{
        id: number;
        at: number;
        warehouse_id: string;
        kind: LedgerKind;
        qty: number;
        on_hand_after: number;
        reason: string;
        actor: string;
        hold_id: string | null;
      }>("SELECT * FROM ledger ORDER BY id DESC LIMIT ?", n)
      .toArray()
      .map((r) => ({
        id: r.id,
        at: r.at,
        warehouseId: r.warehouse_id,
        kind: r.kind,
        qty: r.qty,
        onHandAfter: r.on_hand_after,
        reason: r.reason,
        actor: r.actor,
        holdId: r.hold_id,
      }));
  }

  // ---- Alarm: expiry and the D1 mirror ----------------------------------------------------

  /** Releases expired unpaid holds, then flushes the mirror. Safe to run twice or early. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      const due = this.sql
        .exec<{ hold_id: string }>(
          "SELECT DISTINCT hold_id FROM holds WHERE status = 'held' AND expires_at <= ? ORDER BY expires_at",
          now,
        )
        .toArray();
      for (const { hold_id } of due) {
        this.move(hold_id, this.holdRows(hold_id), "released", "release", "hold_expired", "alarm");
      }
      this.sql.exec("DELETE FROM adjustment_keys WHERE at < ?", now - ADJUSTMENT_KEY_TTL_MS);
    });
    this.pushFeeds();
    await this.flushMirror();
    const next = this.nextAlarmAt();
    this.alarmAt = next;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  /**
   * Copies this SKU's levels to D1. A failure leaves the mirror dirty and retries later with
   * backoff; the object's own state is never at risk.
   */
  private async flushMirror(): Promise<void> {
    const meta = this.meta();
    if (!meta.mirror_dirty || meta.sku_id === null) return;
    const snap = this.readSnapshot();
    try {
      await flushStockMirror(this.env, snap);
      // Claims may have landed during the await: then stay dirty for one more coalesced flush.
      this.sql.exec(
        `UPDATE meta SET mirror_failures = 0, mirrored_version = MAX(mirrored_version, ?1),
           mirror_dirty = CASE WHEN version = ?1 THEN 0 ELSE 1 END,
           mirror_due_at = CASE WHEN version = ?1 THEN NULL ELSE ?2 END
         WHERE id = 1`,
        snap.version,
        Date.now() + MIRROR_DELAY_MS,
      );
    } catch (err) {
      const failures = meta.mirror_failures + 1;
      const backoff = Math.min(MIRROR_DELAY_MS * 2 ** failures, MIRROR_MAX_BACKOFF_MS);
      this.sql.exec(
        "UPDATE meta SET mirror_failures = ?, mirror_due_at = ? WHERE id = 1",
        failures,
        Date.now() + backoff,
      );
      console.warn(
        JSON.stringify({ msg: "stock mirror flush failed", skuId: snap.skuId, failures, error: String(err) }),
      );
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  /**
   * The critical section of every state change. `fn` must be synchronous: only `sql.exec`, no
   * `await` and no outside I/O, because an await opens the input gate and lets another claim read
   * the same availability before this one writes (oversell). transactionSync also rolls the whole
   * section back if a CHECK constraint (the stock invariant) ever fails.
   */
  private critical<T>(fn: () => T): T {
    const result = this.ctx.storage.transactionSync(fn);
    this.ensureAlarm();
    this.pushFeeds();
    return result;
  }

  /** The push is outside I/O: scheduled after the section, never awaited inside it. */
  private pushFeeds(): void {
    if (!this.feedsDue) return;
    this.feedsDue = false;
    const push = this.feeds.changed();
    if (push) this.ctx.waitUntil(push);
  }

  /** One alarm at the earliest needed time; moved earlier, never later, outside the alarm handler. */
  private ensureAlarm(): void {
    const next = this.nextAlarmAt();
    if (next !== null && (this.alarmAt === null || next < this.alarmAt)) {
      this.alarmAt = next;
      // Not awaited: storage writes (alarms included) are ordered and confirmed by the output gate.
      void this.ctx.storage.setAlarm(next);
    }
  }

  private nextAlarmAt(): number | null {
    const expiry = this.sql
      .exec<{ t: number | null }>("SELECT MIN(expires_at) AS t FROM holds WHERE status = 'held'")
      .one().t;
    const meta = this.meta();
    const flush = meta.mirror_dirty ? meta.mirror_due_at : null;
    if (expiry === null) return flush;
    if (flush === null) return expiry;
    return Math.min(expiry, flush);
  }

  private meta(): MetaRow {
    return this.sql
      .exec<MetaRow>("SELECT sku_id, version, mirror_dirty, mirror_due_at, mirror_failures FROM meta WHERE id = 1")
      .one();
  }

  private claimSku(skuId: string): void {
    if (this.skuId === skuId) return;
    if (this.skuId !== null) throw new Error(`this object holds stock of ${this.skuId}, not ${skuId}`);
    this.sql.exec("UPDATE meta SET sku_id = ? WHERE id = 1", skuId);
    this.skuId = skuId;
  }

  /** A change happened: bump the version and make sure a mirror flush is due within the window. */
  private touch(now: number): void {
    this.feedsDue = true;
    this.sql.exec(
      `UPDATE meta SET version = version + 1,
         mirror_due_at = CASE WHEN mirror_dirty = 1 THEN mirror_due_at ELSE ? END,
         mirror_dirty = 1
       WHERE id = 1`,
      now + MIRROR_DELAY_MS,
    );
  }

  private changed(warehouseId: string, now: number): Extract<StockChangeResult, { ok: true }> {
    this.touch(now);
    return {
      ok: true,
      warehouse: warehouseStock(this.stockRow(warehouseId)!),
      snapshot: this.readSnapshot(),
      replayed: false,
    };
  }

  /** `shortfall`: of `onHand`, the units the shelf lacks (a count or delta below what is promised). */
  private writeOnHand(warehouseId: string, onHand: number, now: number, shortfall = 0): void {
    this.sql.exec(
      `INSERT INTO stock (warehouse_id, on_hand, shortfall, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (warehouse_id) DO UPDATE
         SET on_hand = excluded.on_hand, shortfall = excluded.shortfall, version = version + 1,
           updated_at = excluded.updated_at`,
      warehouseId,
      onHand,
      shortfall,
      now,
    );
  }

  /**
   * The refusal of a count made against an on-hand version that has moved since (STALE_COUNT), or
   * of one that names no version for a level that exists (COUNT_VERSION_REQUIRED); null when every
   * count is current. A level not created yet is at version 0.
   */
  private staleCounts(counts: StockCount[], rows: (StockRow | undefined)[]): CountResult | null {
    const stale: StaleLevel[] = [];
    counts.forEach((c, i) => {
      const version = rows[i]?.version ?? 0;
      if ((c.expectedVersion ?? 0) === version) return;
      stale.push({ warehouseId: c.warehouseId, expectedVersion: c.expectedVersion ?? null, version });
    });
    if (stale.length === 0) return null;
    const code = stale.every((l) => l.expectedVersion === null) ? "COUNT_VERSION_REQUIRED" : "STALE_COUNT";
    return { ok: false, code, stale, snapshot: this.readSnapshot() };
  }

  /** Moves every row of a hold to `to`, shifting its units between the stock columns. */
  private move(
    holdId: string,
    rows: HoldDbRow[],
    to: "committed" | "shipped" | "released",
    kind: LedgerKind,
    reason: string,
    actor: string,
    opts: { intoAnotherHold?: boolean } = {},
  ): void {
    const now = Date.now();
    for (const r of rows) {
      const column = r.status === "held" ? "held" : "committed";
      const change =
        to === "committed"
          ? "held = held - ?1, committed = committed + ?1"
          : to === "shipped"
            ? "on_hand = on_hand - ?1, committed = committed - ?1, version = version + 1, shortfall = min(shortfall, on_hand - ?1)"
            : opts.intoAnotherHold
              ? `${column} = ${column} - ?1`
              : freeUnits(column);
      const onHand = this.sql
        .exec<{ on_hand: number }>(
          `UPDATE stock SET ${change}, updated_at = ?2 WHERE warehouse_id = ?3 RETURNING on_hand`,
          r.qty,
          now,
          r.warehouse_id,
        )
        .one().on_hand;
      this.record(now, r.warehouse_id, kind, r.qty, onHand, reason, actor, holdId);
    }
    this.sql.exec("UPDATE holds SET status = ?, updated_at = ? WHERE hold_id = ?", to, now, holdId);
    this.touch(now);
  }

  /**
   * `effectiveAt`, kept in `counted_at`: when the change held on the shelf, where that is not when
   * it was recorded (a count's countedAt, a bridge delta's receipt). A count always has one.
   */
  private record(
    at: number,
    warehouseId: string,
    kind: LedgerKind,
    qty: number,
    onHandAfter: number,
    reason: string,
    actor: string,
    holdId: string | null = null,
    effectiveAt?: number,
  ): void {
    this.sql.exec(
      `INSERT INTO ledger (warehouse_id, kind, qty, on_hand_after, reason, actor, hold_id, at, counted_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      warehouseId,
      kind,
      qty,
      onHandAfter,
      reason,
      actor,
      holdId,
      at,
      effectiveAt ?? (kind === "set" ? at : null),
    );
  }

  /** One bridge row inside applyBridge's critical section. */
  private applyBridgeRow(row: BridgeRow, actor: string, now: number): BridgeRowResult {
    const level = this.stockRow(row.warehouseId);
    const onHandBefore = level?.on_hand ?? 0;
    const shortfallBefore = level?.shortfall ?? 0;
    const minimum = level ? level.held + level.committed : 0;
    const base = { rowId: row.rowId, warehouseId: row.warehouseId, onHandBefore };
    // A delta holds from when the marketplace received it: a count taken since then already has it,
    // whether that count was applied before this row or is applied after it (net of `movedSince`).
    const receivedAt = row.kind === "delta" ? Math.min(row.receivedAt ?? now, now) : now;
    const superseded =
      row.kind === "count"
        ? this.countedSince(row.warehouseId, row.countedAt)
        : this.countedSince(row.warehouseId, receivedAt, true);
    if (superseded) {
      return {
        ...base,
        outcome: "superseded",
        onHandAfter: onHandBefore,
        movedSince: 0,
        target: onHandBefore,
        shortfall: 0,
      };
    }
    const movedSince = row.kind === "count" ? this.movedSince(row.warehouseId, row.countedAt) : 0;
    // What the shelf holds after this row; a delta moves the shelf, not the units kept for a shortfall.
    const target = row.kind === "count" ? row.count + movedSince : onHandBefore - shortfallBefore + row.delta;
    const onHandAfter = Math.max(target, minimum);
    const shortfall = onHandAfter - Math.max(target, 0);
    if (onHandAfter !== onHandBefore) this.writeOnHand(row.warehouseId, onHandAfter, now, shortfall);
    // On hand stays, so its version does too: a count made against it still applies.
    else if (shortfall !== shortfallBefore) {
      this.sql.exec("UPDATE stock SET shortfall = ? WHERE warehouse_id = ?", shortfall, row.warehouseId);
    }
    if (row.kind === "count") {
      const change = onHandAfter - onHandBefore;
      // Recorded even when nothing moved: an older count arriving later must see it and step aside.
      this.record(now, row.warehouseId, "set", change, onHandAfter, "bridge_count", actor, null, row.countedAt);
    } else if (row.delta !== 0) {
      // The shelf's movement, which a count taken before it and applied later must net out.
      this.record(
        now,
        row.warehouseId,
        "adjust",
        row.delta,
        onHandAfter,
        `bridge_${row.reason}`,
        actor,
        null,
        receivedAt,
      );
    }
    const outcome = onHandAfter > target ? "clamped" : "applied";
    return { ...base, outcome, onHandAfter, movedSince, target, shortfall: onHandAfter - target };
  }

  /**
   * Whether a count taken after `at` (or at it, with `orAt`) was already applied to this warehouse.
   * A count is never dated more than COUNTED_AT_MAX_AHEAD_MS past when it was recorded (the bridge
   * refuses one stamped further ahead of its arrival), so only entries recorded since then are read,
   * by the index of counts (`COUNTED_SINCE`): not the whole ledger of a busy SKU, inside the critical section.
   */
  private countedSince(warehouseId: string, at: number, orAt = false): boolean {
    return (
      this.sql.exec(orAt ? COUNTED_AT_OR_SINCE : COUNTED_SINCE, warehouseId, at, at - COUNTED_AT_MAX_AHEAD_MS).toArray()
        .length > 0
    );
  }

  /**
   * The signed change of on hand by shipments, returns and adjustments that took effect after `at`
   * (a bridge delta when it was received, which is never after it was recorded). Counts are left
   * out: one taken later supersedes, and one taken earlier but applied late is exactly what this
   * count corrects.
   */
  private movedSince(warehouseId: string, at: number): number {
    return this.sql.exec<{ n: number | null }>(MOVED_SINCE, warehouseId, at).one().n ?? 0;
  }

  /** A hold id seen before: a replay of the live hold, a refusal, or null when a released hold may reopen. */
  private reserveAgain(req: ReserveRequest, existing: HoldDbRow[]): ReserveResult | null {
    const first = existing[0]!;
    if (first.status === "held") {
      const total = existing.reduce((s, r) => s + r.qty, 0);
      // Another quantity under the same id: an earlier attempt of the same checkout planned its
      // lines otherwise (a product line split another way) and still holds what it planned.
      if (total !== req.qty) return { ok: false, code: "HOLD_CLOSED", status: "held" };
      return {
        ok: true,
        holdId: req.holdId,
        allocations: allocationsOf(existing),
        expiresAt: first.expires_at,
        replayed: true,
      };
    }
    if (first.status !== "released" || !req.reopen) return { ok: false, code: "HOLD_CLOSED", status: first.status };
    return null;
  }

  /** The refusal when this request would take the customer past their cap on this SKU. */
  private customerLimit(req: ReserveRequest): Extract<ReserveResult, { code: "CUSTOMER_LIMIT" }> | null {
    if (req.customerId === undefined || req.maxUnitsPerCustomer === undefined) return null;
    const current =
      this.sql
        .exec<{ n: number | null }>(
          "SELECT SUM(qty) AS n FROM holds WHERE customer_id = ? AND status IN ('held', 'committed') AND hold_id <> ?",
          req.customerId,
          req.holdId,
        )
        .one().n ?? 0;
    if (current + req.qty <= req.maxUnitsPerCustomer) return null;
    return { ok: false, code: "CUSTOMER_LIMIT", limit: req.maxUnitsPerCustomer, current };
  }

  /**
   * The refusal when this request would take its client address past the units of this SKU it may
   * hold unpaid, whichever guests it signed up. Paid, released and lapsed holds do not count.
   */
  private addressLimit(req: ReserveRequest, now: number): Extract<ReserveResult, { code: "ADDRESS_LIMIT" }> | null {
    if (req.clientAddress === undefined || req.maxUnitsPerAddress === undefined) return null;
    const current = this.sql.exec<{ n: number }>(ADDRESS_UNPAID, req.clientAddress, now, req.holdId).one().n;
    if (current + req.qty <= req.maxUnitsPerAddress) return null;
    const { earliest } = this.sql
      .exec<{ earliest: number | null }>(ADDRESS_EARLIEST_EXPIRY, req.clientAddress, now, req.holdId)
      .one();
    const retryAfterMs = Math.max(0, (earliest ?? now) - now);
    return { ok: false, code: "ADDRESS_LIMIT", limit: req.maxUnitsPerAddress, current, retryAfterMs };
  }

  private writeHold(req: ReserveRequest, allocations: Allocation[], reason: string, now: number): void {
    const actor = req.customerId ?? "system";
    allocations.forEach((a, rank) => {
      const onHand = this.sql
        .exec<{ on_hand: number }>(
          "UPDATE stock SET held = held + ?, updated_at = ? WHERE warehouse_id = ? RETURNING on_hand",
          a.qty,
          now,
          a.warehouseId,
        )
        .one().on_hand;
      this.sql.exec(
        `INSERT INTO holds (hold_id, warehouse_id, rank, qty, status, customer_id, client_address, expires_at,
           created_at, updated_at)
         VALUES (?, ?, ?, ?, 'held', ?, ?, ?, ?, ?)`,
        req.holdId,
        a.warehouseId,
        rank,
        a.qty,
        req.customerId ?? null,
        req.clientAddress ?? null,
        req.expiresAt,
        now,
        now,
      );
      this.record(now, a.warehouseId, "reserve", a.qty, onHand, reason, actor, req.holdId);
    });
  }

  /** Units leave the hold and become available again; a warehouse left with none leaves the hold. */
  private takeFromHold(
    req: ReallocateRequest,
    rows: HoldDbRow[],
    taken: Allocation[],
    unitStatus: "held" | "committed",
    now: number,
  ): void {
    const heldAt = new Map(rows.map((r) => [r.warehouse_id, r.qty]));
    for (const { warehouseId, qty } of taken) {
      const onHand = this.sql
        .exec<{ on_hand: number }>(
          `UPDATE stock SET ${freeUnits(unitStatus)}, updated_at = ?2 WHERE warehouse_id = ?3 RETURNING on_hand`,
          qty,
          now,
          warehouseId,
        )
        .one().on_hand;
      const left = heldAt.get(warehouseId)! - qty;
      if (left === 0) {
        this.sql.exec("DELETE FROM holds WHERE hold_id = ? AND warehouse_id = ?", req.holdId, warehouseId);
      } else {
        this.sql.exec(
          "UPDATE holds SET qty = ?, updated_at = ? WHERE hold_id = ? AND warehouse_id = ?",
          left,
          now,
          req.holdId,
          warehouseId,
        );
      }
      this.record(now, warehouseId, "release", qty, onHand, req.reason, req.actor, req.holdId);
    }
  }

  /** Units join the hold in its status; a new warehouse row takes the hold's customer, address and expiry. */
  private addToHold(
    req: ReallocateRequest,
    first: HoldDbRow | undefined,
    added: Allocation[],
    unitStatus: "held" | "committed",
    now: number,
  ): void {
    for (const { warehouseId, qty } of added) {
      const onHand = this.sql
        .exec<{ on_hand: number }>(
          `UPDATE stock SET ${unitStatus} = ${unitStatus} + ?, updated_at = ? WHERE warehouse_id = ? RETURNING on_hand`,
          qty,
          now,
          warehouseId,
        )
        .one().on_hand;
      const joined = this.sql
        .exec<{ qty: number }>(
          "UPDATE holds SET qty = qty + ?, updated_at = ? WHERE hold_id = ? AND warehouse_id = ? RETURNING qty",
          qty,
          now,
          req.holdId,
          warehouseId,
        )
        .toArray();
      if (joined.length === 0) {
        this.sql.exec(
          `INSERT INTO holds (hold_id, warehouse_id, rank, qty, status, customer_id, client_address, expires_at,
             created_at, updated_at)
           VALUES (?, ?, (SELECT COALESCE(MAX(rank), -1) + 1 FROM holds WHERE hold_id = ?), ?, ?, ?, ?, ?, ?, ?)`,
          req.holdId,
          warehouseId,
          req.holdId,
          qty,
          unitStatus,
          first ? first.customer_id : (req.customerId ?? null),
          first ? first.client_address : null,
          first ? first.expires_at : req.expiresAt,
          now,
          now,
        );
      }
      this.record(now, warehouseId, "reserve", qty, onHand, req.reason, req.actor, req.holdId);
      if (unitStatus === "committed") {
        this.record(now, warehouseId, "commit", qty, onHand, req.reason, req.actor, req.holdId);
      }
    }
  }

  /** The answer stored under an idempotency key, if this key was applied before. */
  private seenKey(key: string): { fingerprint: string; result: string } | undefined {
    return this.sql
      .exec<{ fingerprint: string; result: string }>(
        "SELECT fingerprint, result FROM adjustment_keys WHERE key = ?",
        key,
      )
      .toArray()[0];
  }

  private remember(key: string, fingerprint: string, result: unknown, now: number): void {
    this.sql.exec(
      "INSERT INTO adjustment_keys (key, fingerprint, result, at) VALUES (?, ?, ?, ?)",
      key,
      fingerprint,
      JSON.stringify(result),
      now,
    );
  }

  /**
   * What each warehouse can still promise, counting `freed` hold rows as available again; one closed
   * moments ago promises nothing, but for the units `freed` already holds there.
   */
  private levels(freed: HoldDbRow[] = []): Level[] {
    const back = new Map(freed.map((r) => [r.warehouse_id, r.qty]));
    const closedSince = Date.now() - CLOSED_SKIP_MS;
    return this.stockRows()
      .filter((r) => r.closed_at === null || r.closed_at <= closedSince || back.has(r.warehouse_id))
      .map((r) => ({
        warehouseId: r.warehouse_id,
        available: r.on_hand - r.held - r.committed + (back.get(r.warehouse_id) ?? 0),
      }));
  }

  private holdRows(holdId: string): HoldDbRow[] {
    return this.sql
      .exec<HoldDbRow>(
        "SELECT warehouse_id, qty, status, customer_id, client_address, expires_at FROM holds WHERE hold_id = ? ORDER BY rank",
        holdId,
      )
      .toArray();
  }

  private stockRows(): StockRow[] {
    return this.sql
      .exec<StockRow>(
        "SELECT warehouse_id, on_hand, held, committed, version, shortfall, closed_at FROM stock ORDER BY warehouse_id",
      )
      .toArray();
  }

  private stockRow(warehouseId: string): StockRow | undefined {
    return this.sql
      .exec<StockRow>(
        "SELECT warehouse_id, on_hand, held, committed, version, shortfall, closed_at FROM stock WHERE warehouse_id = ?",
        warehouseId,
      )
      .toArray()[0];
  }

  private readSnapshot(): StockSnapshot {
    const warehouses = this.stockRows().map(warehouseStock);
    const totals = { onHand: 0, available: 0, held: 0, committed: 0 };
    for (const w of warehouses) {
      totals.onHand += w.onHand;
      totals.available += w.available;
      totals.held += w.held;
      totals.committed += w.committed;
    }
    const meta = this.meta();
    return { skuId: meta.sku_id ?? "", version: meta.version, warehouses, totals };
  }
}
