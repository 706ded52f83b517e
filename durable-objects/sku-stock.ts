import { DurableObject } from "cloudflare:workers";
import { isoSeconds } from "../src/domain/time";
import { StockFeedPusher } from "../src/gateways/feeds";
import { migrate } from "./sku-stock-storage";

export type Allocation = { warehouseId: string; qty: number };
export type WarehouseStock = {
  warehouseId: string;
  onHand: number;
  available: number;
  held: number;
  committed: number;
};
export type StockSnapshot = {
  skuId: string;
  version: number;
  warehouses: WarehouseStock[];
  totals: { onHand: number; available: number; held: number; committed: number };
};
export type ReserveRequest = {
  skuId: string;
  holdId: string;
  /** integer >= 1 */
  qty: number;
  /** ranked preference, best first; only these may be used */
  warehouses: string[];
  /** epoch ms; the alarm releases the hold after this unless committed */
  expiresAt: number;
  customerId?: string;
  /** cap on this customer's held + committed (not yet shipped) units of this SKU, including this request */
  maxUnitsPerCustomer?: number;
  /** allow re-reserving a hold id that was released (late payment after expiry) */
  reopen?: boolean;
};
export type ReserveResult =
  | { ok: true; holdId: string; allocations: Allocation[]; expiresAt: number; replayed: boolean }
  | { ok: false; code: "OUT_OF_STOCK"; requested: number; available: number }
  | { ok: false; code: "CUSTOMER_LIMIT"; limit: number; current: number }
  | { ok: false; code: "HOLD_CLOSED"; status: "committed" | "shipped" | "released" };
export type HoldResult =
  | { ok: true; allocations: Allocation[] }
  | { ok: false; code: "HOLD_NOT_FOUND" | "HOLD_RELEASED" | "NOT_COMMITTED" | "ALREADY_SHIPPED" };
/** Moves units in or out of an existing order's hold: a manual reassignment of its lines. */
export type ReallocateRequest = {
  skuId: string;
  holdId: string;
  /** Units leaving the hold, from exactly these warehouses; they become available again. */
  take?: Allocation[];
  /** Units joining the hold; each part takes the first ranked warehouse that covers it, else splits in that order. */
  add?: { qty: number; warehouses: string[] }[];
  /** How units join when this hold has none of this SKU yet: a paid order's are committed. */
  status: "held" | "committed";
  /** epoch ms, for units joining as held */
  expiresAt: number;
  customerId?: string;
  reason: string;
  actor: string;
  /** Applied once: a retry with the same key answers the first result and changes nothing. */
  key: string;
};
export type ReallocateResult =
  | { ok: true; taken: Allocation[]; added: Allocation[]; allocations: Allocation[]; replayed: boolean }
  | { ok: false; code: "OUT_OF_STOCK"; requested: number; available: number }
  | { ok: false; code: "NOT_HELD"; warehouseId: string; held: number; requested: number }
  | { ok: false; code: "HOLD_CLOSED"; status: HoldStatus }
  | { ok: false; code: "KEY_REUSED" };
export type StockChangeResult =
  | { ok: true; warehouse: WarehouseStock; snapshot: StockSnapshot; replayed: boolean }
  | { ok: false; code: "STOCK_BELOW_RESERVED"; minimum: number }
  | { ok: false; code: "IDEMPOTENCY_KEY_REUSED" };

export type HoldStatus = "held" | "committed" | "shipped" | "released";
export type HoldRow = {
  warehouseId: string;
  qty: number;
  status: HoldStatus;
  expiresAt: number;
  customerId: string | null;
};
export type LedgerKind = "set" | "adjust" | "reserve" | "commit" | "ship" | "release";
export type LedgerEntry = {
  id: number;
  /** epoch ms */
  at: number;
  warehouseId: string;
  kind: LedgerKind;
  /** units moved; for set and adjust the signed change of on_hand */
  qty: number;
  onHandAfter: number;
  reason: string;
  actor: string;
  holdId: string | null;
};
export type AdjustReason = "restock" | "count" | "damage" | "return";
export type SetOnHandInput = { skuId: string; warehouseId: string; onHand: number; reason: string; actor: string };
export type AdjustInput = {
  skuId: string;
  warehouseId: string;
  delta: number;
  reason: AdjustReason;
  actor: string;
  /** Already scoped to the caller; a replay returns the stored result without applying again. */
  idempotencyKey?: string;
};

/** Coalescing window of the D1 mirror: at most one D1 batch per object per this many ms. */
const MIRROR_DELAY_MS = 500;
const MIRROR_MAX_BACKOFF_MS = 60_000;
/** Adjustment keys are promised for 24 h; kept longer so a late retry still finds its answer. */
const ADJUSTMENT_KEY_TTL_MS = 7 * 24 * 3600 * 1000;

type StockRow = { warehouse_id: string; on_hand: number; held: number; committed: number };
type HoldDbRow = {
  warehouse_id: string;
  qty: number;
  status: HoldStatus;
  customer_id: string | null;
  expires_at: number;
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
  };
}

function allocationsOf(rows: HoldDbRow[]): Allocation[] {
  return rows.map((r) => ({ warehouseId: r.warehouse_id, qty: r.qty }));
}

/**
 * The first ranked warehouse that covers the whole quantity takes it (one parcel); otherwise split
 * greedily in ranked order. Null when the listed warehouses together are short.
 */
function allocate(qty: number, ranked: { warehouseId: string; available: number }[]): Allocation[] | null {
  const whole = ranked.find((w) => w.available >= qty);
  if (whole) return [{ warehouseId: whole.warehouseId, qty }];
  const out: Allocation[] = [];
  let left = qty;
  for (const w of ranked) {
    const take = Math.min(left, w.available);
    if (take > 0) {
      out.push({ warehouseId: w.warehouseId, qty: take });
      left -= take;
    }
    if (left === 0) return out;
  }
  return null;
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
    return this.critical(() => {
      const now = Date.now();
      this.claimSku(req.skuId);
      const existing = this.holdRows(req.holdId);
      const first = existing[0];
      if (first) {
        if (first.status === "held") {
          const total = existing.reduce((s, r) => s + r.qty, 0);
          if (total !== req.qty) {
            throw new Error(`hold ${req.holdId} already holds ${total} of ${req.skuId}, asked again for ${req.qty}`);
          }
          return {
            ok: true,
            holdId: req.holdId,
            allocations: allocationsOf(existing),
            expiresAt: first.expires_at,
            replayed: true,
          };
        }
        if (first.status !== "released" || !req.reopen) return { ok: false, code: "HOLD_CLOSED", status: first.status };
      }

      if (req.customerId !== undefined && req.maxUnitsPerCustomer !== undefined) {
        const current =
          this.sql
            .exec<{ n: number | null }>(
              "SELECT SUM(qty) AS n FROM holds WHERE customer_id = ? AND status IN ('held', 'committed') AND hold_id <> ?",
              req.customerId,
              req.holdId,
            )
            .one().n ?? 0;
        if (current + req.qty > req.maxUnitsPerCustomer) {
          return { ok: false, code: "CUSTOMER_LIMIT", limit: req.maxUnitsPerCustomer, current };
        }
      }

      const rows = new Map(this.stockRows().map((r) => [r.warehouse_id, r]));
      const ranked = [...new Set(req.warehouses)].map((warehouseId) => {
        const r = rows.get(warehouseId);
        return { warehouseId, available: r ? r.on_hand - r.held - r.committed : 0 };
      });
      const allocations = allocate(req.qty, ranked);
      if (!allocations) {
        const available = ranked.reduce((s, w) => s + w.available, 0);
        return { ok: false, code: "OUT_OF_STOCK", requested: req.qty, available };
      }

      // A reopened hold starts afresh; its released rows stay only in the ledger.
      if (first) this.sql.exec("DELETE FROM holds WHERE hold_id = ?", req.holdId);
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
          `INSERT INTO holds (hold_id, warehouse_id, rank, qty, status, customer_id, expires_at, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'held', ?, ?, ?, ?)`,
          req.holdId,
          a.warehouseId,
          rank,
          a.qty,
          req.customerId ?? null,
          req.expiresAt,
          now,
          now,
        );
        this.record(now, a.warehouseId, "reserve", a.qty, onHand, first ? "reopen" : "hold", actor, req.holdId);
      });
      this.touch(now);
      return { ok: true, holdId: req.holdId, allocations, expiresAt: req.expiresAt, replayed: false };
    });
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

  release(holdId: string, reason: string): HoldResult {
    return this.critical(() => {
      const rows = this.holdRows(holdId);
      const status = rows[0]?.status;
      // Releasing something never taken is a no-op, so an abandoned checkout can always clean up.
      if (status === undefined) return { ok: true, allocations: [] };
      if (status === "shipped") return { ok: false, code: "ALREADY_SHIPPED" };
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
   * Takes-and-adds on one SKU move stock between its warehouses atomically; across SKUs the caller
   * adds on the new SKU first and takes from the old one after.
   */
  reallocate(req: ReallocateRequest): ReallocateResult {
    for (const t of req.take ?? []) assertInt("take qty", t.qty, 1);
    for (const a of req.add ?? []) assertInt("add qty", a.qty, 1);
    if (!Number.isFinite(req.expiresAt)) throw new TypeError("expiresAt must be epoch milliseconds");
    return this.critical((): ReallocateResult => {
      const now = Date.now();
      this.claimSku(req.skuId);
      const key = `reallocate:${req.key}`;
      const { key: _key, ...change } = req;
      const fingerprint = JSON.stringify(change);
      const seen = this.sql
        .exec<{ fingerprint: string; result: string }>(
          "SELECT fingerprint, result FROM adjustment_keys WHERE key = ?",
          key,
        )
        .toArray()[0];
      if (seen) {
        if (seen.fingerprint !== fingerprint) return { ok: false, code: "KEY_REUSED" };
        return { ...(JSON.parse(seen.result) as Extract<ReallocateResult, { ok: true }>), replayed: true };
      }

      const rows = this.holdRows(req.holdId);
      const status = rows[0]?.status;
      if (status === "shipped") return { ok: false, code: "HOLD_CLOSED", status };
      const live = status === "held" || status === "committed";
      const heldAt = new Map(live ? rows.map((r) => [r.warehouse_id, r.qty]) : []);
      const takes = new Map<string, number>();
      for (const t of req.take ?? []) takes.set(t.warehouseId, (takes.get(t.warehouseId) ?? 0) + t.qty);
      for (const [warehouseId, qty] of takes) {
        const held = heldAt.get(warehouseId) ?? 0;
        if (held < qty) return { ok: false, code: "NOT_HELD", warehouseId, held, requested: qty };
      }
      const available = new Map(this.stockRows().map((r) => [r.warehouse_id, r.on_hand - r.held - r.committed]));
      for (const [warehouseId, qty] of takes) available.set(warehouseId, (available.get(warehouseId) ?? 0) + qty);
      const added = new Map<string, number>();
      for (const part of req.add ?? []) {
        const ranked = [...new Set(part.warehouses)].map((warehouseId) => ({
          warehouseId,
          available: available.get(warehouseId) ?? 0,
        }));
        const got = allocate(part.qty, ranked);
        if (!got) {
          const total = ranked.reduce((n, w) => n + w.available, 0);
          return { ok: false, code: "OUT_OF_STOCK", requested: part.qty, available: total };
        }
        for (const g of got) {
          available.set(g.warehouseId, available.get(g.warehouseId)! - g.qty);
          added.set(g.warehouseId, (added.get(g.warehouseId) ?? 0) + g.qty);
        }
      }

      const unitStatus = live ? (status as "held" | "committed") : req.status;
      const column = unitStatus === "committed" ? "committed" : "held";
      // A released hold starts afresh, as a reopened reserve does; its rows stay only in the ledger.
      if (!live && rows.length > 0) this.sql.exec("DELETE FROM holds WHERE hold_id = ?", req.holdId);
      for (const [warehouseId, qty] of takes) {
        const onHand = this.sql
          .exec<{ on_hand: number }>(
            `UPDATE stock SET ${column} = ${column} - ?, updated_at = ? WHERE warehouse_id = ? RETURNING on_hand`,
            qty,
            now,
            warehouseId,
          )
          .one().on_hand;
        const left = heldAt.get(warehouseId)! - qty;
        if (left === 0)
          this.sql.exec("DELETE FROM holds WHERE hold_id = ? AND warehouse_id = ?", req.holdId, warehouseId);
        else {
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
      const first = live ? rows[0] : undefined;
      for (const [warehouseId, qty] of added) {
        const onHand = this.sql
          .exec<{ on_hand: number }>(
            `UPDATE stock SET ${column} = ${column} + ?, updated_at = ? WHERE warehouse_id = ? RETURNING on_hand`,
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
            `INSERT INTO holds (hold_id, warehouse_id, rank, qty, status, customer_id, expires_at, created_at, updated_at)
             VALUES (?, ?, (SELECT COALESCE(MAX(rank), -1) + 1 FROM holds WHERE hold_id = ?), ?, ?, ?, ?, ?, ?)`,
            req.holdId,
            warehouseId,
            req.holdId,
            qty,
            unitStatus,
            first ? first.customer_id : (req.customerId ?? null),
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
      this.touch(now);
      const result: ReallocateResult = {
        ok: true,
        taken: [...takes].map(([warehouseId, qty]) => ({ warehouseId, qty })),
        added: [...added].map(([warehouseId, qty]) => ({ warehouseId, qty })),
        allocations: allocationsOf(this.holdRows(req.holdId)),
        replayed: false,
      };
      this.sql.exec(
        "INSERT INTO adjustment_keys (key, fingerprint, result, at) VALUES (?, ?, ?, ?)",
        key,
        fingerprint,
        JSON.stringify(result),
        now,
      );
      return result;
    });
  }

  // ---- RPC: stock levels ------------------------------------------------------------------

  setOnHand(input: SetOnHandInput): StockChangeResult {
    assertInt("onHand", input.onHand, 0);
    return this.critical(() => {
      const now = Date.now();
      this.claimSku(input.skuId);
      const row = this.stockRow(input.warehouseId);
      const minimum = row ? row.held + row.committed : 0;
      if (input.onHand < minimum) return { ok: false, code: "STOCK_BELOW_RESERVED", minimum };
      this.writeOnHand(input.warehouseId, input.onHand, now);
      this.record(
        now,
        input.warehouseId,
        "set",
        input.onHand - (row?.on_hand ?? 0),
        input.onHand,
        input.reason,
        input.actor,
      );
      return this.changed(input.warehouseId, now);
    });
  }

  adjust(input: AdjustInput): StockChangeResult {
    assertInt("delta", input.delta, -Number.MAX_SAFE_INTEGER);
    return this.critical(() => {
      const now = Date.now();
      this.claimSku(input.skuId);
      const fingerprint = JSON.stringify([input.skuId, input.warehouseId, input.delta, input.reason]);
      if (input.idempotencyKey !== undefined) {
        const seen = this.sql
          .exec<{ fingerprint: string; result: string }>(
            "SELECT fingerprint, result FROM adjustment_keys WHERE key = ?",
            input.idempotencyKey,
          )
          .toArray()[0];
        if (seen) {
          if (seen.fingerprint !== fingerprint) return { ok: false, code: "IDEMPOTENCY_KEY_REUSED" };
          return { ...(JSON.parse(seen.result) as Extract<StockChangeResult, { ok: true }>), replayed: true };
        }
      }
      const row = this.stockRow(input.warehouseId);
      const minimum = row ? row.held + row.committed : 0;
      const onHand = (row?.on_hand ?? 0) + input.delta;
      if (onHand < minimum) return { ok: false, code: "STOCK_BELOW_RESERVED", minimum };
      this.writeOnHand(input.warehouseId, onHand, now);
      this.record(now, input.warehouseId, "adjust", input.delta, onHand, input.reason, input.actor);
      const result = this.changed(input.warehouseId, now);
      // A refused adjustment is not remembered: nothing was applied, so a retry may succeed later.
      if (input.idempotencyKey !== undefined) {
        this.sql.exec(
          "INSERT INTO adjustment_keys (key, fingerprint, result, at) VALUES (?, ?, ?, ?)",
          input.idempotencyKey,
          fingerprint,
          JSON.stringify(result),
          now,
        );
      }
      return result;
    });
  }

  snapshot(): StockSnapshot {
    return this.readSnapshot();
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
   * Upserts every warehouse row of this SKU into D1 `stock_levels` in one batch. The version guard
   * keeps an older snapshot from overwriting a newer one if two flushes ever race. A failure leaves
   * the mirror dirty and retries later with backoff; the object's own state is never at risk.
   */
  private async flushMirror(): Promise<void> {
    const meta = this.meta();
    if (!meta.mirror_dirty || meta.sku_id === null) return;
    const snap = this.readSnapshot();
    const updatedAt = isoSeconds(Date.now());
    try {
      if (snap.warehouses.length > 0) {
        const upsert = this.env.DB.prepare(
          `INSERT INTO stock_levels (sku_id, warehouse_id, on_hand, available, held, committed, version, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (sku_id, warehouse_id) DO UPDATE SET
             on_hand = excluded.on_hand, available = excluded.available, held = excluded.held,
             committed = excluded.committed, version = excluded.version, updated_at = excluded.updated_at
           WHERE excluded.version > stock_levels.version`,
        );
        await this.env.DB.batch(
          snap.warehouses.map((w) =>
            upsert.bind(snap.skuId, w.warehouseId, w.onHand, w.available, w.held, w.committed, snap.version, updatedAt),
          ),
        );
      }
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

  private writeOnHand(warehouseId: string, onHand: number, now: number): void {
    this.sql.exec(
      `INSERT INTO stock (warehouse_id, on_hand, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (warehouse_id) DO UPDATE SET on_hand = excluded.on_hand, updated_at = excluded.updated_at`,
      warehouseId,
      onHand,
      now,
    );
  }

  /** Moves every row of a hold to `to`, shifting its units between the stock columns. */
  private move(
    holdId: string,
    rows: HoldDbRow[],
    to: "committed" | "shipped" | "released",
    kind: LedgerKind,
    reason: string,
    actor: string,
  ): void {
    const now = Date.now();
    for (const r of rows) {
      const change =
        to === "committed"
          ? "held = held - ?1, committed = committed + ?1"
          : to === "shipped"
            ? "on_hand = on_hand - ?1, committed = committed - ?1"
            : r.status === "held"
              ? "held = held - ?1"
              : "committed = committed - ?1";
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

  private record(
    at: number,
    warehouseId: string,
    kind: LedgerKind,
    qty: number,
    onHandAfter: number,
    reason: string,
    actor: string,
    holdId: string | null = null,
  ): void {
    this.sql.exec(
      `INSERT INTO ledger (warehouse_id, kind, qty, on_hand_after, reason, actor, hold_id, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      warehouseId,
      kind,
      qty,
      onHandAfter,
      reason,
      actor,
      holdId,
      at,
    );
  }

  private holdRows(holdId: string): HoldDbRow[] {
    return this.sql
      .exec<HoldDbRow>(
        "SELECT warehouse_id, qty, status, customer_id, expires_at FROM holds WHERE hold_id = ? ORDER BY rank",
        holdId,
      )
      .toArray();
  }

  private stockRows(): StockRow[] {
    return this.sql
      .exec<StockRow>("SELECT warehouse_id, on_hand, held, committed FROM stock ORDER BY warehouse_id")
      .toArray();
  }

  private stockRow(warehouseId: string): StockRow | undefined {
    return this.sql
      .exec<StockRow>("SELECT warehouse_id, on_hand, held, committed FROM stock WHERE warehouse_id = ?", warehouseId)
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
