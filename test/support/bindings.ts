import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { createApp } from "../../src/app";

// The Worker's real bindings with some of their calls wrapped: how a test makes a stock object or
// D1 unreachable, slow, or steps in between two calls of the code under test. Nothing is faked:
// every wrapped call still reaches the real object or database unless the wrapper says otherwise.

export type Call = (...args: unknown[]) => Promise<unknown>;

/** A call failing as a lost connection fails. */
export const lost: Call = async () => Promise.reject(new Error("Network connection lost."));

/**
 * The bindings with the stock objects' named RPC methods wrapped: `wrap[method](call, skuId)` gets
 * the real call and the SKU its object is named for.
 */
export function stockCalls(wrap: Record<string, (call: Call, skuId: string) => Call>): Env {
  const ns = env.SKU_STOCK;
  const names = new Map<string, string>();
  return {
    ...env,
    SKU_STOCK: {
      idFromName: (name: string) => {
        const id = ns.idFromName(name);
        names.set(id.toString(), name);
        return id;
      },
      get: (id: DurableObjectId) => {
        const stub = ns.get(id) as unknown as Record<string | symbol, unknown>;
        const skuId = names.get(id.toString()) ?? "";
        return new Proxy(stub, {
          get: (target, p) => {
            const value = target[p];
            // RPC methods are called on their stub; anything else (then, symbols) passes as it is.
            if (typeof value !== "function" || p === "then") return value;
            const call: Call = (...args) => (target[p] as Call)(...args);
            return typeof p === "string" && wrap[p] ? wrap[p](call, skuId) : call;
          },
        });
      },
    } as unknown as Env["SKU_STOCK"],
  };
}

/** The bindings with each D1 batch going through `wrap(batch, n)`, `n` counting the batches from 1. */
export function d1Batches(wrap: (batch: Call, n: number) => Call): Env {
  let n = 0;
  const db = new Proxy(env.DB, {
    get(target, p) {
      if (p === "batch") {
        const batch: Call = (...args) => target.batch(args[0] as D1PreparedStatement[]);
        return (...args: unknown[]) => wrap(batch, ++n)(...args);
      }
      const value = Reflect.get(target, p);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { ...env, DB: db };
}

/**
 * The bindings with each single D1 statement's `run`, `all`, `raw` and `first` going through
 * `wrap(call, sql)`. Not for batches: a batch is sent the real statements only.
 */
export function d1Statements(wrap: (call: Call, sql: string) => Call): Env {
  const statement = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, p) {
        const value = Reflect.get(target, p);
        if (typeof value !== "function") return value;
        if (p === "bind") return (...args: unknown[]) => statement(target.bind(...args), sql);
        const call: Call = (...args) => value.apply(target, args);
        return typeof p === "string" && ["run", "all", "raw", "first"].includes(p) ? wrap(call, sql) : call;
      },
    });
  const db = new Proxy(env.DB, {
    get(target, p) {
      if (p === "prepare") return (sql: string) => statement(target.prepare(sql), sql);
      const value = Reflect.get(target, p);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { ...env, DB: db };
}

/**
 * The bindings with each Feed object's `publish` going through `wrap(call, feedName)`.
 */
export function feedPublishes(wrap: (call: Call, feedName: string) => Call): Env {
  const ns = env.FEEDS;
  const names = new Map<string, string>();
  return {
    ...env,
    FEEDS: {
      idFromName: (name: string) => {
        const id = ns.idFromName(name);
        names.set(id.toString(), name);
        return id;
      },
      get: (id: DurableObjectId) => {
        const stub = ns.get(id);
        const name = names.get(id.toString()) ?? "";
        const call: Call = (...args) => stub.publish(...(args as Parameters<typeof stub.publish>));
        return { publish: wrap(call, name) };
      },
    } as unknown as Env["FEEDS"],
  };
}

/**
 * The bindings with `meanwhile` run once, right after the first D1 statement whose SQL `matches`
 * has answered and before the code under test goes on: another's write landing between its read
 * and its write.
 */
export function afterFirstRead(matches: RegExp, meanwhile: () => Promise<unknown>): Env {
  let done = false;
  return d1Statements((call, sql) =>
    matches.test(sql) && !done
      ? async (...args) => {
          const read = await call(...args);
          done = true;
          await meanwhile();
          return read;
        }
      : call,
  );
}

/** A JSON request through the whole app with `bindings` and an execution context, as the Worker entry makes it. */
export async function apiWith(bindings: Env, method: string, path: string, token: string, body: unknown) {
  const ctx = createExecutionContext();
  const res = await createApp().request(
    path,
    {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    },
    bindings,
    ctx,
  );
  const parsed = { status: res.status, body: (await res.json()) as Record<string, any> };
  await waitOnExecutionContext(ctx);
  return parsed;
}

/** The bindings with `step` run once, right after the first stock release (of `skuId`, if given) has answered. */
export function afterFirstRelease(step: () => Promise<unknown>, skuId?: string): Env {
  let done = false;
  return stockCalls({
    release:
      (release, sku) =>
      async (...args) => {
        const r = await release(...args);
        if ((skuId === undefined || sku === skuId) && !done) {
          done = true;
          await step();
        }
        return r;
      },
  });
}
