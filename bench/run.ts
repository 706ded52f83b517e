// `bun run bench`: checkout throughput on the server of `bun run start` (the development entry,
// bundled, under Miniflare, no dev proxy), which it starts itself on a fresh marketplace unless --url
// answers. Its headline: accepted orders per second with every buyer served (stock larger than the
// orders asked for), one-SKU orders and 3-vendor carts, at 128 and 256 concurrent buyers, with CPU
// milliseconds of workerd per accepted order; with --peer, the Postgres peer (bench/peer/) driven by
// the same client in the same rounds, and the ratios. Then today's flash-sale mix (5,000 buyers at
// once for 1,000 units) against the bare stock claim. Every scenario runs --reps times on fresh SKUs
// and prints medians with their spread; every checkout round proves afterwards that nothing was
// oversold or lost.
//
// Then the routing decision, the SLA watcher over 100,000 open sub-orders (bench/sla.ts) and the
// fan-out of one SKU's stock feed to 1,000 subscribers (bench/feeds.ts), and a payout run over 10,000
// delivered sub-orders (bench/payouts.ts).
//
// The requests go to start's direct socket, straight to the Worker as from Cloudflare's edge;
// --via entry sends them through Miniflare's entry worker and assets router instead, which only
// forward (run_worker_first) and cost workerd about 1 ms of CPU per request.
//
// --profile runs the checkout profile instead (bench/profile.ts, at the first --concurrency);
// --profile --native samples the whole workerd process with Linux perf instead of the V8 profiler.
//
//   bun run bench [--orders 1000] [--concurrency 128,256] [--peer] [--profile [--native]] [--buyers 5000] [--stock 1000]
//                 [--reps 3] [--connections 256] [--url URL] [--via worker|entry]
//                 [--only served,checkout,routing,sla,feeds,bridge,payouts,insight] [--open-sub-orders 100000] [--subscribers 1000]
//                 [--payout-sub-orders 10000] [--history-orders 1000000]
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { api } from "../scripts/lib/api.ts";
import { answers, startFreshServer } from "../scripts/lib/fresh-server.ts";
import { LOCAL_ADDRESS_LIMITS, ROOT } from "../scripts/lib/local-env.ts";
import { run as runBridge } from "./bridge.ts";
import { setClientPool } from "./client-pool.ts";
import { run as runFeeds } from "./feeds.ts";
import { BENCH_VARS, checkoutRequest, guestBuyers, stockedSku, verify } from "./fixtures.ts";
import { run as runInsight } from "./insight.ts";
import { type Burst, burst, machineLoad, median } from "./load.ts";
import { run as runPayouts } from "./payouts.ts";
import { type Peer, startPeer } from "./peer/postgres.ts";
import { run as runProfile } from "./profile.ts";
import { run as runRouting } from "./routing.ts";
import { peerRound, projectRound, type Round, SHAPES, type Shape } from "./served.ts";
import { run as runSla } from "./sla.ts";

const { values } = parseArgs({
  options: {
    orders: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "128,256" },
    peer: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    native: { type: "boolean", default: false },
    "peer-port": { type: "string", default: "8801" },
    "pg-port": { type: "string", default: "55432" },
    "pg-pool": { type: "string", default: "16" },
    buyers: { type: "string", default: "5000" },
    stock: { type: "string", default: "1000" },
    reps: { type: "string", default: "3" },
    connections: { type: "string", default: "256" },
    url: { type: "string" },
    port: { type: "string", default: "8788" },
    via: { type: "string", default: "worker" },
    only: { type: "string" },
    "open-sub-orders": { type: "string", default: "100000" },
    subscribers: { type: "string", default: "1000" },
    "payout-sub-orders": { type: "string", default: "10000" },
    "history-orders": { type: "string", default: "1000000" },
  },
});
// The long fixtures (100,000 staged inventory-bridge rows, a payout run over 10,000 sub-orders, analytics over a
// generated 1,000,000-order history) run only when named in --only.
const SCENARIOS = ["served", "checkout", "routing", "sla", "feeds", "bridge", "payouts", "insight"];
const OPT_IN = ["bridge", "payouts", "insight"];
const only = values.only?.split(",").map((s) => s.trim());
const unknown = only?.filter((s) => !SCENARIOS.includes(s)) ?? [];
if (unknown.length > 0) throw new Error(`--only takes ${SCENARIOS.join(", ")}; not ${unknown.join(", ")}`);
const want = (scenario: string) => (!only && !OPT_IN.includes(scenario)) || only?.includes(scenario) === true;
const ORDERS = Number(values.orders);
const CONCURRENCY = values.concurrency!.split(",").map(Number);
const BUYERS = Number(values.buyers);
const STOCK = Number(values.stock);
const REPS = Number(values.reps);
const CONNECTIONS = Math.max(Number(values.connections), ...CONCURRENCY);
setClientPool(CONNECTIONS);

const fmt = (x: number | undefined, digits = 1) => (x !== undefined && Number.isFinite(x) ? x.toFixed(digits) : "n/a");
function spread(xs: number[], digits = 1): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${fmt(median(s), digits)} (min ${fmt(s[0]!, digits)}, max ${fmt(s.at(-1)!, digits)})`;
}

const SHAPE_NAMES: Record<Shape, string> = {
  single: "one-SKU orders",
  cart: "3-vendor carts",
  claim: "stock claim alone",
};
const TARGET: Record<Shape, string> = { single: " (target 1.0)", cart: " (target 1.0)", claim: "" };

const WARM_ORDERS = 200;

/** Every buyer served: each concurrency, each shape, project and peer round after round. */
async function served(o: Omit<Parameters<typeof projectRound>[0], "concurrency" | "tag">, peer: Peer | undefined) {
  console.log(
    `\nevery buyer served: ${ORDERS} requests per round from a closed loop of N concurrent buyers (each sends its next when answered), stock ${ORDERS + 1000} per SKU, ${REPS} rounds; bare claim = POST /v1/bench/claim (admin), the stock claim alone, as checkout makes it`,
  );
  const project = new Map<string, Round[]>();
  const peers = new Map<string, Round[]>();
  const push = (m: Map<string, Round[]>, k: string, r: Round) => m.set(k, [...(m.get(k) ?? []), r]);
  const tag0 = Date.now().toString(36);
  // Untimed, as a running marketplace is warm: V8 is still compiling the checkout's hot paths in the
  // first few hundred orders (README, "Performance"), and the peer's Node and Postgres warm up too.
  console.log(`warm-up (not timed): ${WARM_ORDERS} requests of each shape, project and peer`);
  for (const shape of SHAPES) {
    const warm = { ...o, orders: WARM_ORDERS, concurrency: CONCURRENCY[0]!, tag: `${tag0}w` };
    await projectRound(warm, shape);
    if (peer) await peerRound(warm, peer, shape);
  }
  for (let rep = 0; rep < REPS; rep++) {
    for (const concurrency of CONCURRENCY) {
      for (const shape of SHAPES) {
        const key = `${shape}@${concurrency}`;
        const r = await projectRound({ ...o, concurrency, tag: `${tag0}${rep}${concurrency}` }, shape);
        push(project, key, r);
        let line = `  round ${rep + 1} ${SHAPE_NAMES[shape]} @${concurrency}: ${fmt(r.accepted / r.seconds)}/s ${JSON.stringify(r.statuses)} cpu ${fmt(r.cpuPerOrder, 2)} ms/order oversell ${r.oversell} lost ${r.lost}`;
        if (peer) {
          const p = await peerRound({ ...o, concurrency, tag: "" }, peer, shape);
          push(peers, key, p);
          line += `  | peer ${fmt(p.accepted / p.seconds)}/s ${JSON.stringify(p.statuses)} cpu ${fmt(p.cpuPerOrder, 2)} ms/order oversell ${p.oversell} lost ${p.lost}`;
        }
        console.log(line);
      }
    }
  }
  return { project, peers };
}

function reportServed(project: Map<string, Round[]>, peers: Map<string, Round[]>, cpuNote: string) {
  console.log(`\n## headline: accepted per second with every buyer served (median of ${REPS} rounds, min-max)`);
  console.log(`CPU per accepted order: ${cpuNote}`);
  for (const concurrency of CONCURRENCY) {
    for (const shape of SHAPES) {
      const key = `${shape}@${concurrency}`;
      const runs = project.get(key) ?? [];
      const rate = (r: Round) => r.accepted / r.seconds;
      console.log(`\n${SHAPE_NAMES[shape]}, ${concurrency} concurrent buyers`);
      const line = (who: string, rs: Round[]) =>
        console.log(
          `  ${who}: ${spread(rs.map(rate))} /s   p50 ${spread(
            rs.map((r) => r.p50),
            0,
          )} ms   p99 ${spread(
            rs.map((r) => r.p99),
            0,
          )} ms   cpu ${
            rs.every((r) => r.cpuPerOrder !== undefined)
              ? spread(
                  rs.map((r) => r.cpuPerOrder!),
                  2,
                )
              : "n/a"
          } ms/order   oversell ${rs.map((r) => r.oversell).join(",")} lost ${rs.map((r) => r.lost).join(",")}`,
        );
      line("project", runs);
      const peerRuns = peers.get(key);
      if (peerRuns) {
        line("peer   ", peerRuns);
        const ratios = runs.map((r, i) => rate(r) / rate(peerRuns[i]!));
        console.log(
          `  ratio project/peer: ${spread(ratios, 2)}${TARGET[shape]};  p99 project/peer ${spread(
            runs.map((r, i) => r.p99 / peerRuns[i]!.p99),
            2,
          )} (target at most 1.0 at 128)`,
        );
      }
    }
  }
  return [...project.values(), ...peers.values()]
    .flat()
    .some((r) => r.oversell > 0 || r.lost > 0 || Object.keys(r.statuses).some((s) => !["200", "201"].includes(s)));
}

type FlashRun = Burst & { accepted: number; oversell: number; lost: number };

/** Today's flash-sale mix: BUYERS at once for STOCK units, against the bare claim under the same rush. */
async function flashSale(o: {
  url: string;
  admin: ReturnType<typeof api>;
  adminToken: string;
  buyers: { token: string }[];
}) {
  console.log(
    `\nflash-sale mix: ${BUYERS} concurrent guest buyers per burst, stock ${STOCK} per SKU (3 warehouses), ${REPS} repetitions`,
  );
  const claimRuns: Burst[] = [];
  const runs: Record<"single" | "cart", FlashRun[]> = { single: [], cart: [] };
  const tag0 = Date.now().toString(36);
  for (let rep = 0; rep < REPS; rep++) {
    const tag = `${tag0}${rep}`;
    const bare = await stockedSku(o.admin, `c${tag}`, STOCK);
    claimRuns.push(
      await burst(BUYERS, () =>
        fetch(new URL(`/v1/bench/claim/${bare.skuId}`, o.url), {
          method: "POST",
          // Admin-only, like every benchmark route; checkout authenticates its buyers the same way.
          headers: { "content-type": "application/json", authorization: `Bearer ${o.adminToken}` },
          body: JSON.stringify({ warehouses: bare.warehouseIds }),
        }),
      ),
    );
    for (const shape of ["single", "cart"] as const) {
      const skus = await Promise.all(
        (shape === "single" ? [0] : [0, 1, 2]).map((v) => stockedSku(o.admin, `${shape[0]}${v}${tag}`, STOCK)),
      );
      const accepted: { token: string; orderId: string; paymentId: string }[] = [];
      const run = await burst(
        BUYERS,
        (i) => checkoutRequest(o.url, o.buyers[i]!.token, `bench-${shape}-${tag}-${i}`, skus),
        (i, body) => accepted.push({ token: o.buyers[i]!.token, orderId: body.order.id, paymentId: body.payment.id }),
      );
      console.log(`  rep ${rep + 1} ${shape}: ${fmt(run.perSecond)} requests/s ${JSON.stringify(run.statuses)}`);
      const check = await verify(o.admin, o.url, accepted, skus);
      const oversell = Math.max(0, ...check.committed.map((c) => c - STOCK), accepted.length - STOCK);
      runs[shape].push({ ...run, accepted: accepted.length, oversell, lost: check.lost });
      if (check.committed.some((c) => c !== accepted.length))
        console.log(`  ! rep ${rep} ${shape}: committed ${check.committed.join("/")} for ${accepted.length} accepted`);
    }
  }
  const claimRate = median(claimRuns.map((r) => r.perSecond));
  const report = (name: string, rs: (Burst & { accepted?: number; oversell?: number; lost?: number })[]) => {
    console.log(`\n## ${name}`);
    console.log(`offered load: ${BUYERS} requests at once, ${REPS} runs`);
    console.log(`replies: ${rs.map((r) => JSON.stringify(r.statuses)).join("  ")}`);
    if (rs[0]?.accepted !== undefined) {
      console.log(`orders accepted: ${rs.map((r) => r.accepted).join(", ")} (stock ${STOCK})`);
      console.log(
        `oversell: ${rs.map((r) => r.oversell).join(", ")}   lost orders: ${rs.map((r) => r.lost).join(", ")}`,
      );
    }
    console.log(`requests/s: ${spread(rs.map((r) => r.perSecond))}`);
    console.log(`latency p50 ms: ${spread(rs.map((r) => r.p50))}   p99 ms: ${spread(rs.map((r) => r.p99))}`);
    if (rs !== claimRuns) {
      const fraction = median(rs.map((r) => r.perSecond)) / claimRate;
      console.log(`fraction of the bare claim rate: ${fmt(fraction, 2)} (floor 0.5, target 0.8)`);
    }
  };
  report("flash-sale mix: bare claim (POST /v1/bench/claim: the stock claim alone, one SKU)", claimRuns);
  report("flash-sale mix: checkout, one SKU, 1 unit each", runs.single);
  report("flash-sale mix: checkout, 3-vendor carts (3 SKUs, 1 unit each)", runs.cart);
  return [...runs.single, ...runs.cart].some(
    (r) => r.oversell > 0 || r.lost > 0 || Object.keys(r.statuses).some((s) => !["201", "409", "429"].includes(s)),
  );
}

// ---- main ---------------------------------------------------------------------------------

if (values.profile) {
  // The checkout profile (bench/profile.ts) runs on a server of its own, with the inspector open.
  await runProfile({
    orders: ORDERS,
    concurrency: CONCURRENCY[0]!,
    port: values.port!,
    inspector: 9330,
    native: values.native,
  });
  process.exit(process.exitCode ?? 0);
}

const requested = values.url ?? `http://127.0.0.1:${values.port}`;
if (values.via !== "worker" && values.via !== "entry")
  throw new Error(`--via takes worker or entry, not ${values.via}`);
if (values.via === "worker") process.env.OMS_DIRECT_SOCKET = "1";
const server = (await answers(requested)) ? undefined : await startFreshServer(values.port!, "oms-bench", BENCH_VARS);
const url = (values.via === "worker" ? server?.directUrl : server?.url) ?? requested;
let peer: Peer | undefined;
try {
  const tokens =
    server?.tokens ??
    (JSON.parse(readFileSync(path.join(ROOT, "demo.json"), "utf8")).tokens as { role: string; token: string }[]);
  const adminToken = tokens.find((t) => t.role === "admin")!.token;
  const admin = api(url, adminToken);
  console.log("# bun run bench");
  console.log(
    `machine: ${os.cpus()[0]?.model ?? "?"} x ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}; ${await machineLoad()}`,
  );
  console.log(
    `runtime: Node ${process.version} driving workerd via Miniflare (bun run start: bundled Worker, no dev proxy); ${server ? `a fresh marketplace in ${server.stateDir}` : `the running server at ${url}`}`,
  );
  console.log(
    server && values.via === "worker"
      ? `requests: to the Worker's direct socket ${url} (no Miniflare entry worker or assets router in front; --via entry for those)`
      : `requests: to ${url}${server ? " (through Miniflare's entry worker and assets router)" : ""}`,
  );
  console.log(
    server
      ? `per-address abuse limits raised through the server's vars: ${Object.entries(LOCAL_ADDRESS_LIMITS)
          .map(([k, v]) => `${k}=${v}`)
          .join(", ")} (every buyer here is 127.0.0.1)`
      : "per-address abuse limits: those of the running server (bun run start raises them in .dev.vars)",
  );
  console.log(`client: one Node process, undici pool of ${CONNECTIONS} keep-alive connections`);
  const pid = server?.workerdPid();
  const cpuNote =
    os.platform() !== "linux"
      ? `not measured: read from /proc, Linux only (this is ${os.platform()})`
      : !server
        ? "not measured: only when the benchmark starts the server itself (--url given)"
        : `utime+stime of workerd (pid ${pid}) from /proc, read with the server idle before and after each round (its trailing outbox, queue and feed work included), cron driver paused`;
  server?.pauseCron(true);
  if (values.peer)
    peer = await startPeer(Number(values["pg-port"]), Number(values["peer-port"]), Number(values["pg-pool"]));
  if (peer) console.log(`peer: ${peer.describe}`);

  let failed = false;
  if (want("served") || want("checkout")) {
    console.log(`\ncreating ${Math.max(BUYERS, ORDERS)} guest buyers (not timed)...`);
    const buyers = await guestBuyers(admin, Math.max(BUYERS, ORDERS));
    const o = { url, admin, adminToken, buyers, orders: ORDERS, workerdPid: pid };
    if (want("served")) {
      const { project, peers } = await served(o, peer);
      failed = reportServed(project, peers, cpuNote) || failed;
    }
    if (want("checkout")) failed = (await flashSale(o)) || failed;
  }
  if (failed) {
    console.log("\nFAILED: oversell, lost orders, 5xx or dropped connections above");
    process.exitCode = 1;
  }
  server?.pauseCron(false);

  if (want("routing")) {
    console.log("\n## routing decision (10-line cart over 50 vendors x 3 warehouses)");
    await runRouting({ url });
  }

  if (want("sla")) {
    console.log("\n## SLA watcher (every minute) over a large book of open sub-orders");
    const sla = await runSla({ admin, openSubOrders: Number(values["open-sub-orders"]) });
    const twice = Object.entries(sla.audit).filter(([k, n]) => k.endsWith("Twice") && n > 0);
    if (twice.length > 0 || sla.ticks.some((t) => t.failed > 0)) {
      console.log(`\nFAILED: the SLA watcher did something twice or failed: ${JSON.stringify(twice)}`);
      process.exitCode = 1;
    }
  }

  if (want("feeds")) {
    console.log("\n## stock feed fan-out (one SKU, many storefront subscribers)");
    await runFeeds({ baseUrl: url, adminToken, subscribers: Number(values.subscribers), workerdPid: pid });
  }
  if (want("bridge")) {
    console.log("\n## inventory bridge: 100,000 staged rows reconciled into the stock objects");
    await runBridge({ admin });
  }

  if (want("payouts")) {
    console.log("\n## payout run over delivered sub-orders (payout simulator)");
    const payouts = await runPayouts({ admin, subOrders: Number(values["payout-sub-orders"]) });
    if (!payouts.ok) {
      console.log("\nFAILED: the payout run did not pay every sub-order exactly once");
      process.exitCode = 1;
    }
  }

  if (want("insight")) {
    console.log("\n## analytics over a generated order history (roll-ups, analytics API, ops order list)");
    // The scenario drives the refreshes itself; the jobs' own refresh and the audit of the generated
    // orders would otherwise share the one core with the reads being timed.
    server?.pauseCron(true);
    await runInsight({ admin, orders: Number(values["history-orders"]) });
    server?.pauseCron(false);
  }
} finally {
  await peer?.stop();
  await server?.stop();
}
