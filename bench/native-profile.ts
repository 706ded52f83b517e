// The whole of workerd's CPU in a checkout burst, not only the Worker isolate's JavaScript: the V8
// profiler (profile.ts) samples our isolate only while it runs JS, which is a small part of the
// process's CPU. Linux `perf` samples the process itself, natives and other isolates included
// (Miniflare's D1 is a Durable Object of its own running in the same process), and V8's perf map
// (`--perf-basic-prof`, passed to workerd through MINIFLARE_WORKERD_V8_FLAGS) names the JS frames.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";

/** Set before the server starts: workerd then writes /tmp/perf-<pid>.map for its JIT code. */
export const PERF_MAP_FLAGS = { MINIFLARE_WORKERD_V8_FLAGS: "--perf-basic-prof" };

const FREQUENCY_HZ = 999;

export function perfAvailable(): boolean {
  return process.platform === "linux" && spawnSync("perf", ["--version"]).status === 0;
}

/** Samples `pid` with call stacks until the returned stop() is awaited. */
export async function recordNative(pid: number, file: string): Promise<() => Promise<void>> {
  const perf: ChildProcess = spawn(
    "perf",
    ["record", "-F", String(FREQUENCY_HZ), "-g", "-p", String(pid), "-o", file, "--quiet"],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  // perf attaches asynchronously; a burst started at once would lose its first samples.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return async () => {
    const exited = once(perf, "exit");
    perf.kill("SIGINT");
    await exited;
  };
}

type Frame = { native: string } | { file: string; line: number };

/** Each sample's stack, innermost frame first, from `perf script`. */
function stacks(file: string): Frame[][] {
  const out = spawnSync("perf", ["script", "-i", file, "-F", "ip,sym"], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  if (out.status !== 0) throw new Error(`perf script failed: ${out.stderr}`);
  const all: Frame[][] = [];
  let current: Frame[] = [];
  for (const text of out.stdout.split("\n")) {
    const line = text.trim();
    if (line === "") {
      if (current.length > 0) all.push(current);
      current = [];
      continue;
    }
    const sym = line.slice(line.indexOf(" ") + 1);
    // V8's perf map names a JS frame "JS:<tier marks><name> <file>:<line>:<column>".
    const js = /^JS:.* (\S+):(\d+):\d+$/.exec(sym);
    current.push(js ? { file: js[1]!, line: Number(js[2]) } : { native: sym });
  }
  if (current.length > 0) all.push(current);
  return all;
}

// Whose work a sample is, by the frames on its stack (the first owner that matches wins).
const OWNERS: [string, (f: Frame, moduleOf: (line: number) => string) => boolean][] = [
  [
    "garbage collection (V8, any isolate)",
    (f) =>
      "native" in f && /Heap::CollectGarbage|Scavenge|MarkCompact|cppgc::|MinorGCJob|ConcurrentMarking/.test(f.native),
  ],
  [
    "V8 compiling hot JS (background threads)",
    (f) => "native" in f && /OptimizedCompilationJob|maglev::|compiler::Pipeline|Compiler::Compile/.test(f.native),
  ],
  [
    "D1 as Miniflare emulates it (its object: statements, change counts, JSON)",
    (f) =>
      ("file" in f && /database\.worker\.js|^miniflare:/.test(f.file)) ||
      ("native" in f && /blockConcurrencyWhile<workerd::api::DurableObjectStorage::transaction/.test(f.native)),
  ],
  ["Miniflare's other workers (entry, queues)", (f) => "file" in f && /\.worker\.js$/.test(f.file)],
  [
    "stock objects (claims, their SQLite)",
    (f, m) => "file" in f && f.file === "index.js" && /^durable-objects\/sku-stock/.test(m(f.line - 1)),
  ],
  [
    "feed objects (publish, sockets)",
    (f, m) => "file" in f && f.file === "index.js" && /^durable-objects\/(feed|outward)/.test(m(f.line - 1)),
  ],
  [
    "address limit objects",
    (f, m) => "file" in f && f.file === "index.js" && /^durable-objects\/address-limits/.test(m(f.line - 1)),
  ],
];

/** The Worker's own samples, by the innermost JS frame's module. */
const WORKER_PARTS: [string, RegExp][] = [
  ["Worker: D1 client (workerd's d1-api, drizzle)", /^cloudflare-internal:d1|^node_modules\/drizzle-orm/],
  ["Worker: framework and validation (hono, zod)", /^node_modules\/(hono|@hono|zod|@asteasolutions)/],
  ["Worker: stock calls (shared turns, gateways)", /^src\/(gateways\/stock|platform\/shared-turns)/],
  ["Worker: checkout, routing, order write", /^src\/(checkout|routing|domain|db)\//],
  ["Worker: the rest of ours", /^(src|durable-objects)\//],
  ["Worker: runtime JS (timers, tracing, streams)", /^(cloudflare|node)-internal:/],
  ["Worker: other libraries", /./],
];

// Samples with no JS frame at all: the runtime between turns.
const RUNTIME: [string, RegExp][] = [
  ["runtime: object storage outside JS (transaction starts, commits)", /ActorSqlite|ActorCache|SqliteDatabase|sqlite3/],
  ["runtime: HTTP and sockets", /kj::Http|HttpServer|HttpClient|tcp_|sock_|AsyncIoStream/],
  ["runtime: RPC between isolates", /capnp::|JsRpc|jsrpc/i],
];

export type NativeBreakdown = { samples: number; shares: [string, number][] };

export function nativeBreakdown(file: string, moduleOf: (line: number) => string): NativeBreakdown {
  const counts = new Map<string, number>();
  const all = stacks(file);
  for (const stack of all) {
    const owner =
      OWNERS.find(([, is]) => stack.some((f) => is(f, moduleOf)))?.[0] ??
      workerPart(stack, moduleOf) ??
      RUNTIME.find(([, re]) => stack.some((f) => "native" in f && re.test(f.native)))?.[0] ??
      "runtime: event loop and the rest";
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  const shares = [...counts].map(([k, n]): [string, number] => [k, n / all.length]).sort((a, b) => b[1] - a[1]);
  return { samples: all.length, shares };
}

function workerPart(stack: Frame[], moduleOf: (line: number) => string): string | undefined {
  const js = stack.find((f): f is { file: string; line: number } => "file" in f);
  if (!js) return undefined;
  const mod = js.file === "index.js" ? moduleOf(js.line - 1) : js.file;
  return WORKER_PARTS.find(([, re]) => re.test(mod))?.[0];
}

export function printNative(b: NativeBreakdown, cpuPerOrder: number | undefined) {
  console.log(
    `  workerd's CPU by owner (perf, ${b.samples} samples at ${FREQUENCY_HZ} Hz; JS frames named by V8's perf map, which can misname code V8 has moved):`,
  );
  for (const [name, share] of b.shares) {
    const ms = cpuPerOrder === undefined ? "" : `${(share * cpuPerOrder).toFixed(2).padStart(7)} ms/order`;
    console.log(`    ${name.padEnd(72)} ${(share * 100).toFixed(1).padStart(5)}% ${ms}`);
  }
}
