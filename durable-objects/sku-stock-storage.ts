/**
 * SQLite schema of one SkuStock object. Migrations are append-only: each entry runs once, in order,
 * and its number is recorded in `schema_version`; add a new entry for any later change.
 */
const migrations: string[] = [
  `
  CREATE TABLE IF NOT EXISTS meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sku_id TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    mirror_dirty INTEGER NOT NULL DEFAULT 0 CHECK (mirror_dirty IN (0, 1)),
    mirror_due_at INTEGER,
    mirror_failures INTEGER NOT NULL DEFAULT 0,
    mirrored_version INTEGER NOT NULL DEFAULT 0
  );
  INSERT OR IGNORE INTO meta (id) VALUES (1);

  -- The invariant on_hand = available + held + committed with available >= 0 is kept by the
  -- database itself: a bug that would break it aborts the whole critical section instead.
  CREATE TABLE IF NOT EXISTS stock (
    warehouse_id TEXT PRIMARY KEY,
    on_hand INTEGER NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    held INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
    committed INTEGER NOT NULL DEFAULT 0 CHECK (committed >= 0),
    updated_at INTEGER NOT NULL,
    CHECK (held + committed <= on_hand)
  );

  CREATE TABLE IF NOT EXISTS holds (
    hold_id TEXT NOT NULL,
    warehouse_id TEXT NOT NULL,
    rank INTEGER NOT NULL,
    qty INTEGER NOT NULL CHECK (qty > 0),
    status TEXT NOT NULL CHECK (status IN ('held', 'committed', 'shipped', 'released')),
    customer_id TEXT,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (hold_id, warehouse_id)
  );
  CREATE INDEX IF NOT EXISTS holds_due ON holds (status, expires_at);
  CREATE INDEX IF NOT EXISTS holds_customer ON holds (customer_id, status) WHERE customer_id IS NOT NULL;

  CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    warehouse_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('set', 'adjust', 'reserve', 'commit', 'ship', 'release')),
    qty INTEGER NOT NULL,
    on_hand_after INTEGER NOT NULL,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    hold_id TEXT,
    at INTEGER NOT NULL
  );

  CREATE TABLE IF NOT EXISTS adjustment_keys (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    result TEXT NOT NULL,
    at INTEGER NOT NULL
  );
  `,
  // The on-hand version of each level: a count is made against one and refused once it moved.
  // Existing levels start at 1, so 0 always means "no level here yet".
  `ALTER TABLE stock ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);`,
  // When a count was taken (a sheet's countedAt can be long before it arrives), and the movements
  // of a warehouse by time: a bridge count is applied net of what moved on hand since it was taken.
  `
  ALTER TABLE ledger ADD COLUMN counted_at INTEGER;
  CREATE INDEX IF NOT EXISTS ledger_movements ON ledger (warehouse_id, at);
  `,
  // The client address a checkout's hold came from: the units one address holds unpaid are capped
  // per SKU, so they are counted here, where the holds and their statuses are.
  `
  ALTER TABLE holds ADD COLUMN client_address TEXT;
  CREATE INDEX IF NOT EXISTS holds_address ON holds (client_address, status) WHERE client_address IS NOT NULL;
  `,
  // The address's unpaid units summed from the index alone: only unpaid holds, each entry with what
  // the sum reads, so a claim reads no table row of another hold.
  `
  DROP INDEX IF EXISTS holds_address;
  CREATE INDEX IF NOT EXISTS holds_address_unpaid ON holds (client_address, expires_at, qty, hold_id)
    WHERE client_address IS NOT NULL AND status = 'held';
  `,
  // The units each client address holds unpaid, kept by triggers on every change to a hold: a claim
  // reads one row where it summed every unpaid hold of its address, and the shoppers behind one
  // carrier-grade NAT address can be many. Holds that lapsed but are not yet released still count
  // here; the claim takes those off (ADDRESS_UNPAID), as the alarm releases them soon after.
  `
  CREATE TABLE IF NOT EXISTS address_units (
    client_address TEXT PRIMARY KEY,
    held INTEGER NOT NULL CHECK (held > 0)
  ) WITHOUT ROWID;
  INSERT INTO address_units (client_address, held)
    SELECT client_address, SUM(qty) FROM holds
    WHERE client_address IS NOT NULL AND status = 'held' GROUP BY client_address;

  CREATE TRIGGER IF NOT EXISTS address_units_insert AFTER INSERT ON holds
  WHEN NEW.client_address IS NOT NULL AND NEW.status = 'held'
  BEGIN
    INSERT INTO address_units (client_address, held) VALUES (NEW.client_address, NEW.qty)
      ON CONFLICT (client_address) DO UPDATE SET held = held + excluded.held;
  END;

  CREATE TRIGGER IF NOT EXISTS address_units_delete AFTER DELETE ON holds
  WHEN OLD.client_address IS NOT NULL AND OLD.status = 'held'
  BEGIN
    DELETE FROM address_units WHERE client_address = OLD.client_address AND held = OLD.qty;
    UPDATE address_units SET held = held - OLD.qty WHERE client_address = OLD.client_address;
  END;

  CREATE TRIGGER IF NOT EXISTS address_units_update AFTER UPDATE OF status, qty, client_address ON holds
  WHEN (OLD.client_address IS NOT NULL AND OLD.status = 'held') OR (NEW.client_address IS NOT NULL AND NEW.status = 'held')
  BEGIN
    INSERT INTO address_units (client_address, held)
      SELECT NEW.client_address, NEW.qty WHERE NEW.client_address IS NOT NULL AND NEW.status = 'held'
      ON CONFLICT (client_address) DO UPDATE SET held = held + excluded.held;
    DELETE FROM address_units
      WHERE OLD.status = 'held' AND client_address = OLD.client_address AND held = OLD.qty;
    UPDATE address_units SET held = held - OLD.qty WHERE OLD.status = 'held' AND client_address = OLD.client_address;
  END;
  `,
  // Units on hand that the shelf does not have: a bridge count or delta below what is held and
  // committed stops on hand there, and the difference is kept so that the units those holds give
  // back (a lapse, a cancel) leave on hand instead of going on sale (FREE_UNITS).
  `ALTER TABLE stock ADD COLUMN shortfall INTEGER NOT NULL DEFAULT 0 CHECK (shortfall >= 0 AND shortfall <= on_hand);`,
  // A closed warehouse, as its vendor set it: no claim takes units there, whatever list of
  // warehouses a checkout sends (one read from a catalog cached before the close, say).
  `ALTER TABLE stock ADD COLUMN closed INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1));`,
  // When its warehouse closed, instead: claims skip it only while a catalog read before the close
  // may still list it (CLOSED_SKIP_MS), so a close announced late or out of order never keeps a
  // reopened warehouse's stock from sale for longer than that.
  `
  ALTER TABLE stock ADD COLUMN closed_at INTEGER;
  ALTER TABLE stock DROP COLUMN closed;
  `,
  // A bridge count reads the counts and the movements of its warehouse since it was taken, inside
  // the critical section: by (warehouse, time) alone it also read every hold, commit and release
  // since, most of a busy SKU's ledger, and a sheet resent every 15 minutes with a count typed a
  // month ago read a month of them each time. Each read now has an index of its own kinds.
  `
  DROP INDEX IF EXISTS ledger_movements;
  CREATE INDEX IF NOT EXISTS ledger_counts ON ledger (warehouse_id, at) WHERE kind = 'set';
  CREATE INDEX IF NOT EXISTS ledger_moves ON ledger (warehouse_id, at) WHERE kind IN ('adjust', 'ship');
  `,
];

/**
 * Whether warehouse ?1 has a count taken after ?2 (epoch ms) applied, reading the counts recorded
 * since ?3 (no count is dated further ahead of its arrival). `COUNTED_AT_OR_SINCE`: at ?2 or after.
 * The `kind` terms are the partial indexes' own, which is what lets SQLite use them.
 */
export const COUNTED_SINCE = `SELECT 1 FROM ledger INDEXED BY ledger_counts
  WHERE warehouse_id = ?1 AND at >= ?3 AND kind = 'set' AND COALESCE(counted_at, at) > ?2 LIMIT 1`;
export const COUNTED_AT_OR_SINCE = `SELECT 1 FROM ledger INDEXED BY ledger_counts
  WHERE warehouse_id = ?1 AND at >= ?3 AND kind = 'set' AND COALESCE(counted_at, at) >= ?2 LIMIT 1`;

/** The signed change of warehouse ?1's on hand by shipments and adjustments that took effect after ?2. */
export const MOVED_SINCE = `SELECT SUM(CASE kind WHEN 'ship' THEN -qty ELSE qty END) AS n
  FROM ledger INDEXED BY ledger_moves
  WHERE warehouse_id = ?1 AND at > ?2 AND COALESCE(counted_at, at) > ?2 AND kind IN ('adjust', 'ship')`;

/**
 * How long after its warehouse closed a claim skips it: longer than checkout's catalog is cached
 * per isolate (10 s, routing/cart.ts), after which no checkout routes there at all.
 */
export const CLOSED_SKIP_MS = 60_000;

export const SCHEMA_VERSION = migrations.length;

/**
 * The units address ?1 holds unpaid at ?2 (epoch ms), leaving out hold ?3: its kept count, less its
 * holds lapsed but not yet released (few: the alarm releases them) and less hold ?3's own units,
 * found by its key (the unary pluses keep SQLite off the indexes by address and status, which read many).
 */
export const ADDRESS_UNPAID = `SELECT
    coalesce((SELECT held FROM address_units WHERE client_address = ?1), 0)
    - coalesce((SELECT SUM(qty) FROM holds WHERE client_address = ?1 AND status = 'held' AND expires_at <= ?2), 0)
    - coalesce((SELECT SUM(qty) FROM holds
        WHERE hold_id = ?3 AND +client_address = ?1 AND +status = 'held' AND +expires_at > ?2), 0) AS n`;

/**
 * The SET clause that gives ?1 units of `column` (held or committed) back to a warehouse: as many of
 * them as its shortfall leave on hand with it, and only the rest become available. SQLite reads
 * every column on the right as it was before the update.
 */
export function freeUnits(column: "held" | "committed"): string {
  const freed = "min(shortfall, on_hand - held - committed + ?1)";
  return `${column} = ${column} - ?1, on_hand = on_hand - ${freed}, shortfall = shortfall - ${freed}`;
}

/** When the earliest of those units lapses (read only to tell a refused claim when to retry). */
export const ADDRESS_EARLIEST_EXPIRY = `SELECT MIN(expires_at) AS earliest FROM holds
  WHERE client_address = ?1 AND status = 'held' AND expires_at > ?2 AND hold_id <> ?3`;

/**
 * The warehouses whose held and committed counters differ from the units their hold rows keep held
 * and committed. Claims read only the counters (available = on_hand - held - committed), so a
 * counter short of its rows offers units already promised. Only rows still held or committed are summed.
 */
export const COUNTER_DRIFT = `SELECT s.warehouse_id, s.on_hand, s.held, s.committed,
    coalesce(h.held, 0) AS held_in_holds, coalesce(h.committed, 0) AS committed_in_holds
  FROM stock s LEFT JOIN (
    SELECT warehouse_id,
      SUM(CASE status WHEN 'held' THEN qty ELSE 0 END) AS held,
      SUM(CASE status WHEN 'committed' THEN qty ELSE 0 END) AS committed
    FROM holds WHERE status IN ('held', 'committed') GROUP BY warehouse_id
  ) h ON h.warehouse_id = s.warehouse_id
  WHERE s.held <> coalesce(h.held, 0) OR s.committed <> coalesce(h.committed, 0)
  ORDER BY s.warehouse_id`;

/** Idempotent: safe on every construction of the object, new or existing. */
export function migrate(storage: DurableObjectStorage): void {
  const sql = storage.sql;
  sql.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const current = sql.exec<{ v: number | null }>("SELECT MAX(version) AS v FROM schema_version").one().v ?? 0;
  if (current >= migrations.length) return;
  storage.transactionSync(() => {
    for (let i = current; i < migrations.length; i++) {
      sql.exec(migrations[i]!);
      sql.exec("INSERT INTO schema_version (version) VALUES (?)", i + 1);
    }
  });
}
