import {
  createExecutionContext,
  createMessageBatch,
  env,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
// The development entry, as every other test runs: the job run with a moved clock is one of its routes.
import worker from "../../src/dev/index";
import { findJob } from "../../src/jobs/registry";

/**
 * Workers Paid allows one invocation 1,000 D1 queries and 10,000 subrequests, and the project holds
 * both to 1,000; the local runtime enforces neither. This runs the Worker (or one job) with an env whose bindings count what an
 * invocation spends: every D1 statement (a batch counts each of its statements), and every call
 * out through a Durable Object stub, a Queue producer, R2 or fetch. Work handed to waitUntil is
 * awaited and counted too: it runs in the same invocation.
 */

export const LIMITS = { queries: 1_000, subrequests: 1_000 };

export type Spend = { queries: number; subrequests: number; by: Record<string, number> };

function newSpend(): Spend {
  return { queries: 0, subrequests: 0, by: {} };
}

function tally(spend: Spend, kind: "queries" | "subrequests", what: string, n = 1) {
  spend[kind] += n;
  spend.by[what] = (spend.by[what] ?? 0) + n;
}

const real = new WeakMap<object, D1PreparedStatement>();

function statement(stmt: D1PreparedStatement, spend: Spend): D1PreparedStatement {
  const counted =
    (method: "run" | "all" | "first" | "raw") =>
    (...args: unknown[]) => {
      tally(spend, "queries", `D1.${method}`);
      return (stmt[method] as (...a: unknown[]) => unknown).apply(stmt, args);
    };
  const wrapped = {
    bind: (...values: unknown[]) => statement(stmt.bind(...values), spend),
    run: counted("run"),
    all: counted("all"),
    first: counted("first"),
    raw: counted("raw"),
  } as unknown as D1PreparedStatement;
  real.set(wrapped, stmt);
  return wrapped;
}

function database(db: D1Database, spend: Spend): D1Database {
  return {
    prepare: (query: string) => statement(db.prepare(query), spend),
    batch: (stmts: D1PreparedStatement[]) => {
      tally(spend, "queries", "D1.batch", stmts.length);
      return db.batch(stmts.map((s) => real.get(s) ?? s));
    },
    exec: (query: string) => {
      tally(spend, "queries", "D1.exec");
      return db.exec(query);
    },
    dump: () => db.dump(),
    withSession: () => {
      throw new Error("D1 sessions are not metered yet");
    },
  } as unknown as D1Database;
}

/** Every method called on a stub is one call out of the invocation (RPC or fetch). */
function stub<T extends object>(target: T, spend: Spend, what: string): T {
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop);
      if (typeof value !== "function" || prop === "then" || typeof prop === "symbol") return value;
      return (...args: unknown[]) => {
        tally(spend, "subrequests", `${what}.${prop}`);
        // Reflect.apply, not value.apply: on an RPC stub `.apply` would itself be a remote method.
        return Reflect.apply(value, t, args);
      };
    },
  });
}

function namespace<N extends object>(ns: N, spend: Spend, what: string): N {
  return new Proxy(ns, {
    get(t, prop) {
      const value = Reflect.get(t, prop);
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName") {
        return (...args: unknown[]) => stub(Reflect.apply(value, t, args) as object, spend, what);
      }
      return value.bind(t);
    },
  });
}

/** The test env with each binding metered into `spend`. */
export function meteredEnv(spend: Spend): Env {
  return {
    ...env,
    DB: database(env.DB, spend),
    SKU_STOCK: namespace(env.SKU_STOCK, spend, "SKU_STOCK"),
    FEEDS: namespace(env.FEEDS, spend, "FEEDS"),
    ORDER_EVENTS: stub(env.ORDER_EVENTS, spend, "ORDER_EVENTS"),
    PHOTOS: stub(env.PHOTOS, spend, "PHOTOS"),
    ASSETS: stub(env.ASSETS, spend, "ASSETS"),
  } as unknown as Env;
}

/** Runs `body` with the global fetch counted into `spend`; invocations are measured one at a time. */
async function withFetchMetered<T>(spend: Spend, body: () => Promise<T>): Promise<T> {
  const original = globalThis.fetch;
  globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
    tally(spend, "subrequests", "fetch");
    return original(...args);
  }) as typeof fetch;
  try {
    return await body();
  } finally {
    globalThis.fetch = original;
  }
}

export type MeteredReply = { status: number; body: any; spend: Spend };

/** One request through the Worker's fetch handler, and what it spent, background work included. */
export async function meteredRequest(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: BodyInit } = {},
): Promise<MeteredReply> {
  const spend = newSpend();
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const request = new Request(`https://oms.test${path}`, {
    method,
    headers,
    body: opts.body === undefined ? opts.rawBody : JSON.stringify(opts.body),
  });
  const ctx = createExecutionContext();
  const { status, text } = await withFetchMetered(spend, async () => {
    const res = await worker.fetch(request, meteredEnv(spend), ctx);
    const text = await res.text();
    await waitOnExecutionContext(ctx);
    return { status: res.status, text };
  });
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status, body, spend };
}

/** One run of a registered job with the metered env; a thrown error is kept, with what was spent before it. */
export async function meteredJob(name: string, now: Date): Promise<{ result?: unknown; error?: string; spend: Spend }> {
  const job = findJob(name);
  if (!job) throw new Error(`no job ${name}`);
  const spend = newSpend();
  return withFetchMetered(spend, async () => {
    try {
      return { result: await job.run(meteredEnv(spend), now), spend };
    } catch (err) {
      return { error: err instanceof Error ? err.message.slice(0, 200) : String(err), spend };
    }
  });
}

/** One delivery of `bodies` to the order-events consumer, and what it spent; with the ack/retry state. */
export async function meteredDelivery(bodies: unknown[]) {
  const spend = newSpend();
  const batch = createMessageBatch(
    "order-events",
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await withFetchMetered(spend, async () => {
    await worker.queue(batch, meteredEnv(spend));
    await waitOnExecutionContext(ctx);
  });
  return { spend, result: await getQueueResult(batch, ctx) };
}
