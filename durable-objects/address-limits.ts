import { DurableObject } from "cloudflare:workers";
import type { AdmitResult, CountedHold, UnitClaim, UnitClaimResult } from "./address-limits-rpc";

/**
 * Append-only migrations of one AddressLimits object; each runs once, recorded in schema_version.
 * `unit_holds`: the units of one SKU that checkouts from this address hold, per hold id, with the
 * hold's expiry. `admissions`: each admitted request with the end of the window it counts in.
 */
const migrations: string[] = [
  `
  CREATE TABLE IF NOT EXISTS unit_holds (
    hold_id TEXT PRIMARY KEY,
    qty INTEGER NOT NULL CHECK (qty > 0),
    expires_at INTEGER NOT NULL,
    seq INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS admissions (at INTEGER NOT NULL, until INTEGER NOT NULL);
  CREATE INDEX IF NOT EXISTS admissions_until ON admissions (until);
  CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 1), next_seq INTEGER NOT NULL);
  INSERT OR IGNORE INTO meta (id, next_seq) VALUES (1, 1);
  `,
];

function assertInt(name: string, v: unknown, min: number): asserts v is number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    throw new TypeError(`${name} must be an integer >= ${min}, got ${String(v)}`);
  }
}

/**
 * Limits per client address, one object per (purpose, address): guest sign-ups in a sliding
 * window (`signup:<address>`), and the units of one SKU held at once by every checkout from the
 * address (`units:<address>:<skuId>`), whatever guest placed them. Like a stock claim, every check
 * and its write run in one synchronous transaction, so concurrent requests cannot both pass.
 *
 * The unit count learns of a hold's end in two ways: its expiry is recorded with it, and a hold
 * that was paid or released before that is forgotten when the caller, refused, has asked the
 * stock object and reports it (`forget`). Paid, released and expired units therefore never refuse
 * anyone, and no payment or cancellation path has to know this object exists.
 */
export class AddressLimits extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => this.migrate());
  }

  /** Counts `qty` units under `holdId` unless the address would then hold more than `max`. */
  claimUnits(req: UnitClaim): UnitClaimResult {
    assertInt("qty", req.qty, 1);
    assertInt("max", req.max, 0);
    if (!Number.isFinite(req.expiresAt)) throw new TypeError("expiresAt must be epoch milliseconds");
    const result = this.ctx.storage.transactionSync((): UnitClaimResult => {
      const now = Date.now();
      this.sql.exec("DELETE FROM unit_holds WHERE expires_at <= ?", now);
      // The same hold id claiming again (a retried checkout) replaces its own count. Summed in
      // SQLite: an address behind many checkouts (a NAT, the benchmark) counts hundreds of holds,
      // and only a refusal needs them one by one.
      const { current } = this.sql
        .exec<{ current: number }>(
          "SELECT COALESCE(SUM(qty), 0) AS current FROM unit_holds WHERE hold_id <> ?",
          req.holdId,
        )
        .one();
      if (current + req.qty > req.max) {
        const others = this.sql
          .exec<{ hold_id: string; expires_at: number; seq: number }>(
            "SELECT hold_id, expires_at, seq FROM unit_holds WHERE hold_id <> ? ORDER BY expires_at",
            req.holdId,
          )
          .toArray();
        return {
          ok: false,
          code: "ADDRESS_LIMIT",
          limit: req.max,
          current,
          retryAfterMs: Math.max(0, (others[0]?.expires_at ?? now) - now),
          counted: others.map((r) => ({ holdId: r.hold_id, seq: r.seq })),
        };
      }
      const seq = this.sql
        .exec<{ seq: number }>("UPDATE meta SET next_seq = next_seq + 1 RETURNING next_seq - 1 AS seq")
        .one().seq;
      this.sql.exec(
        "INSERT OR REPLACE INTO unit_holds (hold_id, qty, expires_at, seq) VALUES (?, ?, ?, ?)",
        req.holdId,
        req.qty,
        req.expiresAt,
        seq,
      );
      return { ok: true };
    });
    this.ctx.waitUntil(this.scheduleCleanup());
    return result;
  }

  /** The checkout gave its hold back: its units stop counting now. Safe to call twice. */
  releaseUnits(holdId: string): void {
    this.sql.exec("DELETE FROM unit_holds WHERE hold_id = ?", holdId);
  }

  /**
   * Holds the stock object no longer has as unpaid (paid, released). Matched on `seq` too, so a
   * hold id claimed again since the caller looked keeps counting.
   */
  forget(holds: CountedHold[]): void {
    this.ctx.storage.transactionSync(() => {
      for (const h of holds) this.sql.exec("DELETE FROM unit_holds WHERE hold_id = ? AND seq = ?", h.holdId, h.seq);
    });
  }

  /** Admits one more request unless `max` were admitted in the last `windowMs`. */
  admit(max: number, windowMs: number): AdmitResult {
    assertInt("max", max, 0);
    assertInt("windowMs", windowMs, 1);
    const result = this.ctx.storage.transactionSync((): AdmitResult => {
      const now = Date.now();
      this.sql.exec("DELETE FROM admissions WHERE until <= ?", now);
      const row = this.sql
        .exec<{ n: number; first: number | null }>("SELECT COUNT(*) AS n, MIN(until) AS first FROM admissions")
        .one();
      if (row.n >= max) {
        return { ok: false, code: "ADDRESS_LIMIT", limit: max, retryAfterMs: Math.max(0, (row.first ?? now) - now) };
      }
      this.sql.exec("INSERT INTO admissions (at, until) VALUES (?, ?)", now, now + windowMs);
      return { ok: true };
    });
    this.ctx.waitUntil(this.scheduleCleanup());
    return result;
  }

  /** Drops what has lapsed, so an address that went quiet leaves no storage behind. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.sql.exec("DELETE FROM unit_holds WHERE expires_at <= ?", now);
    this.sql.exec("DELETE FROM admissions WHERE until <= ?", now);
    await this.scheduleCleanup();
  }

  private async scheduleCleanup(): Promise<void> {
    const next = this.sql
      .exec<{ at: number | null }>(
        "SELECT MIN(at) AS at FROM (SELECT MIN(expires_at) AS at FROM unit_holds UNION ALL SELECT MAX(until) FROM admissions)",
      )
      .one().at;
    if (next === null) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next || current < Date.now()) await this.ctx.storage.setAlarm(next);
  }

  private migrate(): void {
    this.sql.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    const current = this.sql.exec<{ v: number | null }>("SELECT MAX(version) AS v FROM schema_version").one().v ?? 0;
    if (current >= migrations.length) return;
    this.ctx.storage.transactionSync(() => {
      for (let i = current; i < migrations.length; i++) {
        this.sql.exec(migrations[i]!);
        this.sql.exec("INSERT INTO schema_version (version) VALUES (?)", i + 1);
      }
    });
  }
}
