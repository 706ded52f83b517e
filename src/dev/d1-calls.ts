// Counts D1 round trips made in this isolate, for the checkout profile (`bun run bench -- --profile`):
// every statement run on its own (all, first, run, raw) and every batch or exec is one round trip.
// Installed on the runtime's D1 classes the first time the benchmark asks, so nothing counts until then.
// Each of these methods sends its own request to D1 (none calls another), so each call is one round trip.
// Per statement it also adds up what D1 reports back: SQL time and rows read. Rows read is what a
// statement costs D1 (and what D1 bills), and a count that grows with the orders already placed
// shows up there as it never does in one request's timing. D1 reports them for batches, `all` and
// `run`; `first` and `raw` answer rows only (drizzle's selects outside a batch use `raw`).

/** One statement's totals, keyed by its SQL with whitespace collapsed; `reported`: runs D1 reported on. */
export type StatementCalls = { sql: string; runs: number; reported: number; sqlMs: number; rowsRead: number };
export type D1Calls = { roundTrips: number; batches: number; statements: number; bySql: StatementCalls[] };

const calls = { roundTrips: 0, batches: 0, statements: 0 };
let bySql = new Map<string, StatementCalls>();
let installed = false;

type Reported = { meta?: { duration?: number; rows_read?: number } };

function tally(sql: string, result: Reported | undefined) {
  const key = sql.replace(/\s+/g, " ").trim();
  let s = bySql.get(key);
  if (!s) {
    s = { sql: key, runs: 0, reported: 0, sqlMs: 0, rowsRead: 0 };
    bySql.set(key, s);
  }
  s.runs += 1;
  if (!result?.meta) return;
  s.reported += 1;
  s.sqlMs += result.meta.duration ?? 0;
  s.rowsRead += result.meta.rows_read ?? 0;
}

function wrap(proto: Record<string, unknown>, name: string, kind: "batches" | "statements") {
  const original = proto[name];
  if (typeof original !== "function") return;
  proto[name] = async function (this: { statement?: string }, ...args: unknown[]) {
    calls.roundTrips++;
    calls[kind]++;
    const result: unknown = await original.apply(this, args);
    if (name === "batch" && Array.isArray(result)) {
      const statements = args[0] as { statement: string }[];
      for (const [i, s] of statements.entries()) tally(s.statement, (result as Reported[])[i]);
    } else if (kind === "statements" && this.statement !== undefined) {
      tally(this.statement, name === "all" || name === "run" ? (result as Reported) : undefined);
    }
    return result;
  };
}

/** Starts counting (once per isolate) and answers the counts since the last call, then resets them. */
export function takeD1Calls(db: D1Database): D1Calls {
  if (!installed) {
    installed = true;
    const statement = Object.getPrototypeOf(db.prepare("SELECT 1")) as Record<string, unknown>;
    for (const name of ["all", "first", "run", "raw"]) wrap(statement, name, "statements");
    const database = Object.getPrototypeOf(db) as Record<string, unknown>;
    for (const name of ["batch", "exec"]) wrap(database, name, "batches");
  }
  const out = { ...calls, bySql: [...bySql.values()] };
  calls.roundTrips = 0;
  calls.batches = 0;
  calls.statements = 0;
  bySql = new Map();
  return out;
}
