// Counts D1 round trips made in this isolate, for the checkout profile (`bun run bench -- --profile`):
// every statement run on its own (all, first, run, raw) and every batch or exec is one round trip.
// Installed on the runtime's D1 classes the first time the benchmark asks, so nothing counts until then.
// Each of these methods sends its own request to D1 (none calls another), so each call is one round trip.

export type D1Calls = { roundTrips: number; batches: number; statements: number };

const calls: D1Calls = { roundTrips: 0, batches: 0, statements: 0 };
let installed = false;

function wrap(proto: Record<string, unknown>, name: string, kind: "batches" | "statements") {
  const original = proto[name];
  if (typeof original !== "function") return;
  proto[name] = function (this: unknown, ...args: unknown[]) {
    calls.roundTrips++;
    calls[kind]++;
    return original.apply(this, args);
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
  const out = { ...calls };
  calls.roundTrips = 0;
  calls.batches = 0;
  calls.statements = 0;
  return out;
}
