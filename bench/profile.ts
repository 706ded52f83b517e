// Where a checkout's time goes: `bun run bench -- --profile` (or `node bench/profile.ts`) starts
// `bun run start`'s server with workerd's inspector open (OMS_INSPECTOR_PORT), runs a checkout burst
// of one-SKU orders and one of 3-vendor carts (every buyer served) under the V8 CPU profiler of the
// Worker's isolate, and prints: its JS by part of the code (the bundle's module comments map each
// sampled line to its source file), the inclusive time of checkout's steps, D1 round trips counted
// in the Worker (POST /v1/bench/d1-calls) with each statement's SQL time and rows read as D1 reports
// them, and workerd's CPU per order from /proc. With --native, Linux perf samples the whole workerd
// process instead (native-profile.ts): every isolate, the runtime and Miniflare's D1 by owner.
//
//   node bench/profile.ts [--orders 600] [--concurrency 128] [--port 8790] [--inspector 9330] [--save DIR] [--native]
//   node bench/profile.ts --from DIR/single.cpuprofile [--bundle dist/index.js] [--orders N]
// (run with `bun run`'s Node 22 first on PATH, as `bun run bench -- --profile` does)
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { api } from "../scripts/lib/api.ts";
import { startFreshServer } from "../scripts/lib/fresh-server.ts";
import { ROOT } from "../scripts/lib/local-env.ts";
import { setClientPool } from "./client-pool.ts";
import { BENCH_VARS, checkoutRequest, guestBuyers, type Sku, stockedSku, verify } from "./fixtures.ts";
import { closedLoop, cpuMs, settle } from "./load.ts";
import { nativeBreakdown, PERF_MAP_FLAGS, perfAvailable, printNative, recordNative } from "./native-profile.ts";

const WORKER = "edge-oms";
/** The bundle's name in the profile's call frames (Miniflare's modules root is dist/). */
const BUNDLE = "index.js";
const SAMPLE_US = 500;

type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
type CpuProfile = { nodes: ProfileNode[]; samples: number[] };

/** A minimal Chrome DevTools protocol session over the inspector's WebSocket. */
async function session(wsUrl: string) {
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let id = 0;
  const waiting = new Map<number, (v: any) => void>();
  ws.onmessage = (e) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown; error?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.error ? { error: msg.error } : msg.result);
  };
  const send = (method: string, params: object = {}) =>
    new Promise<any>((resolve) => {
      waiting.set(++id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => ws.close() };
}

/** For each line of the bundle, the source module esbuild's `// path` comments put it in. */
function moduleLines(bundle: string): (line: number) => string {
  const starts: { line: number; module: string }[] = [];
  bundle.split("\n").forEach((text, i) => {
    const m = /^\/\/ ((?:node_modules|src|durable-objects)\/\S+\.[cm]?[jt]s)$/.exec(text);
    if (m) starts.push({ line: i, module: m[1]! });
  });
  return (line) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = "(bundle prelude)";
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]!.line <= line) {
        found = starts[mid]!.module;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

// Parts of the code, matched against a sampled frame's module (innermost matching frame wins).
const PARTS: [string, RegExp][] = [
  ["D1 binding (workerd's client: sending queries, reading results)", /^cloudflare-internal:d1/],
  ["runtime internals (timers, tracing)", /^(cloudflare|node)-internal:/],
  ["validation (zod)", /^node_modules\/(zod|@hono\/zod)/],
  ["framework (hono, openapi)", /^node_modules\/(hono|@hono|@asteasolutions)/],
  ["D1 client (drizzle: building queries, mapping rows)", /^node_modules\/drizzle-orm/],
  ["authentication", /^src\/http\/auth\.ts/],
  ["http: errors, headers, reply", /^src\/http\//],
  ["routing and its data loads", /^src\/(routing|domain\/routing|db\/routing)/],
  ["order batch (building the write)", /^src\/(db\/checkout-writes|checkout\/placed-order|checkout\/persist)/],
  ["checkout steps", /^src\/checkout\//],
  ["outbox send", /^src\/(gateways\/order-events|jobs\/order-events)/],
  ["stock feed pushes", /^(src\/gateways\/feeds|durable-objects\/feed|src\/live-feeds)/],
  ["stock object (claims, its SQLite)", /^durable-objects\/sku-stock|^src\/gateways\/stock/],
  ["address limits object", /address-limits/],
  ["D1 repositories", /^src\/db\//],
  ["other of ours", /^(src|durable-objects)\//],
  ["other libraries", /^node_modules\//],
];

// Checkout's steps, by function name on the stack (inclusive: a step's callees count in it).
const STEPS = [
  "authenticate",
  "validateCart",
  "prepareCart",
  "readAvailability",
  "claimCart",
  "reserveAll",
  "readCheckoutContext",
  "validateHeld",
  "price",
  "createPayment",
  "placedOrder",
  "writePlacedOrder",
  "dispatchOutboxRows",
];

function analyse(profile: CpuProfile, moduleOf: (line: number) => string) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const parts = new Map<string, number>();
  const steps = new Map<string, number>();
  const functions = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  let busy = 0;
  profile.samples.forEach((sample) => {
    // Every sample stands for one interval: a time delta also spans the gaps while the isolate
    // ran nothing (the other isolates' turns, the idle seconds around the burst), and would put
    // them all on whichever frame was sampled before the gap.
    const us = SAMPLE_US;
    const leaf = byId.get(sample)!.callFrame;
    if (leaf.functionName === "(idle)" || leaf.functionName === "(root)") return;
    busy += us;
    let part = leaf.functionName === "(garbage collector)" ? "garbage collection" : "";
    let named = "";
    const seen = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (f.url && f.lineNumber >= 0) {
        // The bundle's lines map to its modules; workerd's own JS (its D1 client, timers) names itself.
        const mod = f.url === BUNDLE ? moduleOf(f.lineNumber) : f.url;
        if (!part) part = PARTS.find(([, re]) => re.test(mod))?.[0] ?? "";
        if (!named) named = `${f.functionName || "(anonymous)"} ${mod}:${f.lineNumber + 1}`;
      }
      if (STEPS.includes(f.functionName)) seen.add(f.functionName);
    }
    add(parts, part || "runtime (native, no JS caller: I/O, RPC and socket work)", us);
    add(functions, `${leaf.url ? "" : `${leaf.functionName || "(native)"} < `}${named || "(no JS frame)"}`, us);
    for (const step of seen) add(steps, step, us);
  });
  return { busy, parts, steps, functions };
}

/**
 * Shares of the Worker isolate's sampled busy time; ms/order is that sampled time over the orders
 * (the isolate's JavaScript only, a part of workerd's CPU: --native shows the whole).
 */
function printAnalysis(a: ReturnType<typeof analyse>, orders: number | undefined) {
  const row = (name: string, us: number) => {
    const ms = orders === undefined ? "" : `${(us / 1000 / orders).toFixed(2).padStart(7)} ms/order`;
    return `    ${name.padEnd(60)} ${((us / a.busy) * 100).toFixed(1).padStart(5)}% ${ms}`;
  };
  if (orders !== undefined)
    console.log(`  the Worker isolate's sampled JavaScript: ${(a.busy / 1000 / orders).toFixed(2)} ms/order`);
  console.log("  by part of the code (the innermost sampled frame of ours or of a library; self time):");
  for (const [name, us] of [...a.parts].sort((x, y) => y[1] - x[1])) console.log(row(name, us));
  console.log("  checkout steps (inclusive: callees counted in; the rest is the request around them):");
  for (const step of STEPS) console.log(row(step, a.steps.get(step) ?? 0));
  console.log("  hottest functions (self time; native callees shown with their JS caller):");
  for (const [name, us] of [...a.functions].sort((x, y) => y[1] - x[1]).slice(0, 15))
    console.log(row(name.slice(0, 60), us));
}

export type ProfileOptions = {
  orders: number;
  concurrency: number;
  port: string;
  inspector: number;
  save?: string;
  /** Linux `perf` over the whole workerd process instead of the V8 profiler of the Worker's isolate. */
  native?: boolean;
};

/** The Worker's isolate (its Durable Objects run in it too); Miniflare's own workers are not ours. */
async function workerIsolate(inspector: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${inspector}/json`)).json()) as {
    title: string;
    webSocketDebuggerUrl: string;
  }[];
  const target = targets.find((t) => t.title.endsWith(`core:user:${WORKER}`));
  if (!target) throw new Error(`no inspector target for ${WORKER}: ${targets.map((t) => t.title).join(", ")}`);
  console.log(`inspector target: ${target.title}, sampling every ${SAMPLE_US} us`);
  const s = await session(target.webSocketDebuggerUrl);
  await s.send("Profiler.enable");
  await s.send("Profiler.setSamplingInterval", { interval: SAMPLE_US });
  return s;
}

type Statement = { sql: string; runs: number; reported: number; sqlMs: number; rowsRead: number };

/**
 * D1's own figures per statement and order, the most rows read first: a statement whose rows read
 * grow with the orders already placed costs the same burst more and more as it goes on. A statement
 * D1 never reported on (run with `first` or `raw`, as drizzle's selects outside a batch are) shows
 * "-" and goes last.
 */
function printStatements(statements: Statement[], orders: number) {
  console.log("  D1 statements per order (runs, SQL time in D1, rows read), most rows read first:");
  const byCost = [...statements]
    .sort((a, b) => Number(b.reported > 0) - Number(a.reported > 0) || b.rowsRead - a.rowsRead || b.runs - a.runs)
    .slice(0, 14);
  for (const s of byCost) {
    const per = (n: number, digits: number) =>
      s.reported === 0 ? "-".padStart(7) : (n / orders).toFixed(digits).padStart(7);
    const runs = (s.runs / orders).toFixed(2).padStart(7);
    console.log(`    ${runs} ${per(s.sqlMs, 3)} ms ${per(s.rowsRead, 1)} rows  ${s.sql.slice(0, 80)}`);
  }
}

export async function run(o: ProfileOptions) {
  if (o.native && !perfAvailable()) throw new Error("--native needs Linux and `perf` on PATH");
  if (o.native) Object.assign(process.env, PERF_MAP_FLAGS);
  else process.env.OMS_INSPECTOR_PORT = String(o.inspector);
  process.env.OMS_DIRECT_SOCKET = "1";
  const server = await startFreshServer(o.port, "oms-profile", BENCH_VARS);
  // Checkouts go straight to the Worker, as the benchmark's do (bench/run.ts).
  const url = server.directUrl ?? server.url;
  try {
    server.pauseCron(true);
    const adminToken = server.tokens.find((t) => t.role === "admin")!.token;
    const admin = api(url, adminToken);
    const buyers = await guestBuyers(admin, o.orders + 100);
    const moduleOf = moduleLines(readFileSync(path.join(ROOT, "dist/index.js"), "utf8"));
    const pid = server.workerdPid();
    console.log(
      `# checkout profile: ${o.orders} orders per shape, ${o.concurrency} concurrent buyers, every buyer served`,
    );
    const s = o.native ? undefined : await workerIsolate(o.inspector);
    const perfDir = o.native ? (o.save ?? mkdtempSync(path.join(tmpdir(), "oms-perf-"))) : undefined;
    if (o.native) console.log(`sampling workerd (pid ${pid}) with perf; recordings in ${perfDir}`);
    for (const shape of ["single", "cart"] as const) {
      const skus: Sku[] = await Promise.all(
        (shape === "single" ? [0] : [0, 1, 2]).map((v) =>
          stockedSku(admin, `p${shape[0]}${v}${Date.now().toString(36)}`, o.orders + 1000),
        ),
      );
      // Warm the isolate's caches (tokens, offers, routing model) as a running marketplace has them.
      const warm = await closedLoop(100, 16, (i) =>
        checkoutRequest(url, buyers[o.orders + i]!.token, `warm-${shape}-${i}`, skus),
      );
      await settle(pid);
      await admin.request("POST", "/v1/bench/d1-calls", {});
      const perfFile = perfDir && path.join(perfDir, `${shape}.perf.data`);
      const stopPerf = perfFile ? await recordNative(pid!, perfFile) : undefined;
      await s?.send("Profiler.start");
      const before = cpuMs(pid);
      const accepted: { token: string; orderId: string; paymentId: string }[] = [];
      const run = await closedLoop(
        o.orders,
        o.concurrency,
        (i) => checkoutRequest(url, buyers[i]!.token, `profile-${shape}-${i}`, skus),
        (i, status, body) => {
          if (status === "201")
            accepted.push({ token: buyers[i]!.token, orderId: body.order.id, paymentId: body.payment.id });
        },
      );
      await settle(pid);
      const cpuPerOrder = before === undefined ? undefined : (cpuMs(pid)! - before) / accepted.length;
      // perf stops where the CPU reading does, before the D1 tally's own request.
      await stopPerf?.();
      const d1 = await admin.request<{ roundTrips: number; batches: number; statements: number; bySql: Statement[] }>(
        "POST",
        "/v1/bench/d1-calls",
        {},
      );
      console.log(
        `\n## ${shape === "single" ? "one-SKU orders" : "3-vendor carts"}: ${(accepted.length / run.seconds).toFixed(1)} orders/s under the profiler ${JSON.stringify(run.statuses)} (warm-up ${JSON.stringify(warm.statuses)})`,
      );
      if (cpuPerOrder !== undefined)
        console.log(
          `  workerd CPU (/proc, whole process, all isolates and threads): ${cpuPerOrder.toFixed(2)} ms/order`,
        );
      console.log(
        `  D1 round trips made by the Worker (and objects, same isolate): ${(d1.roundTrips / accepted.length).toFixed(2)} per order (${(d1.batches / accepted.length).toFixed(2)} batches, ${(d1.statements / accepted.length).toFixed(2)} single statements)`,
      );
      printStatements(d1.bySql, accepted.length);
      if (perfFile) {
        printNative(nativeBreakdown(perfFile, moduleOf), cpuPerOrder);
      } else {
        const { profile } = (await s!.send("Profiler.stop")) as { profile: CpuProfile };
        if (o.save) writeFileSync(path.join(o.save, `${shape}.cpuprofile`), JSON.stringify(profile));
        printAnalysis(analyse(profile, moduleOf), accepted.length);
      }
      const check = await verify(admin, url, accepted, skus);
      console.log(
        `  lost orders: ${check.lost}; committed ${check.committed.join("/")} for ${accepted.length} accepted`,
      );
    }
    s?.close();
  } finally {
    await server.stop();
  }
}

/** Prints the analysis of a saved profile (--save) against a bundle (dist/index.js of the same build). */
export function analyseSaved(file: string, bundle: string, orders?: number) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  printAnalysis(analyse(profile, moduleLines(readFileSync(bundle, "utf8"))), orders);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      orders: { type: "string", default: "600" },
      concurrency: { type: "string", default: "128" },
      port: { type: "string", default: "8790" },
      inspector: { type: "string", default: "9330" },
      save: { type: "string" },
      native: { type: "boolean", default: false },
      // Re-reads a saved profile instead of running one: --from FILE.cpuprofile [--bundle dist/index.js]
      // [--orders N, the orders it sampled, for ms/order]
      from: { type: "string" },
      bundle: { type: "string", default: path.join(ROOT, "dist/index.js") },
    },
  });
  if (values.from)
    analyseSaved(values.from, values.bundle!, process.argv.includes("--orders") ? Number(values.orders) : undefined);
  else {
    setClientPool(512);
    await run({
      orders: Number(values.orders),
      concurrency: Number(values.concurrency),
      port: values.port!,
      inspector: Number(values.inspector),
      save: values.save,
      native: values.native,
    });
  }
}
