import { DurableObject } from "cloudflare:workers";
import type { AdmitResult } from "./address-limits-rpc";

/**
 * Append-only migrations of one AddressLimits object; each runs once, recorded in schema_version.
 * `admissions`: each admitted request with the end of the window it counts in.
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
  // Units held per address are counted by each SKU's stock object, with the holds themselves.
  `
  DROP TABLE IF EXISTS unit_holds;
  DROP TABLE IF EXISTS meta;
  `,
];

function assertInt(name: string, v: unknown, min: number): asserts v is number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    throw new TypeError(`${name} must be an integer >= ${min}, got ${String(v)}`);
  }
}

/**
 * The guest sign-ups of one client address in a sliding window, one object per (purpose, address)
 * (`signup:<address>`): the check and its write run in one synchronous transaction, so concurrent
 * requests cannot both pass. (The units an address holds unpaid are counted by each SKU's stock
 * object, with its holds.)
 */
export class AddressLimits extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => this.migrate());
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
    this.sql.exec("DELETE FROM admissions WHERE until <= ?", now);
    await this.scheduleCleanup();
  }

  private async scheduleCleanup(): Promise<void> {
    const next = this.sql.exec<{ at: number | null }>("SELECT MAX(until) AS at FROM admissions").one().at;
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
