// `bun run bench`: checkout throughput against the bare stock-claim ceiling, on the server of
// `bun run start` (the development entry, bundled, under Miniflare, no dev proxy). Starts that
// server itself unless --url answers. Every scenario runs --reps times on fresh SKUs and prints medians with
// their spread; a checkout run also proves afterwards that nothing was oversold or lost.
//
// Then the routing decision, the SLA watcher over 100,000 open sub-orders (bench/sla.ts) and the
// fan-out of one SKU's stock feed to 1,000 subscribers (bench/feeds.ts).
//
//   bun run bench [--buyers 5000] [--stock 1000] [--reps 3] [--connections 256] [--url URL]
//                 [--only checkout,routing,sla,feeds] [--open-sub-orders 100000] [--subscribers 1000]
//   bun run bench -- --scenario insight [--orders 1000000]   (opt-in, runs alone: bench/insight.ts)
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Agent, setGlobalDispatcher } from "undici";
import { type Api, api, mapLimit } from "../scripts/lib/api.ts";
import { answers, startFreshServer } from "../scripts/lib/fresh-server.ts";
import { ROOT } from "../scripts/lib/local-env.ts";
import { run as runFeeds } from "./feeds.ts";
import { run as runInsight } from "./insight.ts";
import { run as runRouting } from "./routing.ts";
import { run as runSla } from "./sla.ts";

const { values } = parseArgs({
  options: {
    buyers: { type: "string", default: "5000" },
    stock: { type: "string", default: "1000" },
    reps: { type: "string", default: "3" },
    connections: { type: "string", default: "256" },
    url: { type: "string" },
    port: { type: "string", default: "8788" },
    only: { type: "string" },
    "open-sub-orders": { type: "string", default: "100000" },
    subscribers: { type: "string", default: "1000" },
    // Opt-in scenarios, run alone: `--scenario insight` (bench/insight.ts).
    scenario: { type: "string" },
    orders: { type: "string", default: "1000000" },
  },
});
const SCENARIOS = ["checkout", "routing", "sla", "feeds"];
const only = values.only?.split(",").map((s) => s.trim());
const unknown = only?.filter((s) => !SCENARIOS.includes(s)) ?? [];
if (unknown.length > 0) throw new Error(`--only takes ${SCENARIOS.join(", ")}; not ${unknown.join(", ")}`);
const OPT_IN = ["insight"];
if (values.scenario && !OPT_IN.includes(values.scenario))
  throw new Error(`--scenario takes ${OPT_IN.join(", ")}; not ${values.scenario}`);
const want = (scenario: string) => !values.scenario && (!only || only.includes(scenario));
const BUYERS = Number(values.buyers);
const STOCK = Number(values.stock);
const REPS = Number(values.reps);
const CONNECTIONS = Number(values.connections);
setGlobalDispatcher(new Agent({ connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 30_000 }));

// ---- the server ---------------------------------------------------------------------------

// ---- statistics ---------------------------------------------------------------------------

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");
function spread(xs: number[], digits = 1): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${fmt(median(s), digits)} (min ${fmt(s[0]!, digits)}, max ${fmt(s.at(-1)!, digits)})`;
}

type Burst = { seconds: number; perSecond: number; p50: number; p99: number; statuses: Record<string, number> };

/** Fires every request at once (bounded by the connection pool) and times each reply. */
async function burst(count: number, send: (i: number) => Promise<Response>, keep?: (i: number, body: any) => void) {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const t0 = performance.now();
      let status: string;
      try {
        const res = await send(i);
        status = String(res.status);
        const body = await res.json();
        if (keep && res.status === 201) keep(i, body);
      } catch (err) {
        status = `dropped:${(err as { cause?: { code?: string } }).cause?.code ?? "error"}`;
      }
      latencies.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    seconds,
    perSecond: count / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    statuses,
  };
}

// ---- fixtures -----------------------------------------------------------------------------

const SHIP_TO = {
  name: "Bench Buyer",
  address: { line1: "1 MG Road", city: "Bengaluru", postalCode: "560001", country: "IN" },
  lat: 12.97,
  lng: 77.59,
};
const WAREHOUSE_SITES = [
  { lat: 12.9716, lng: 77.5946, postalCode: "560001" },
  { lat: 19.076, lng: 72.8777, postalCode: "400001" },
  { lat: 28.6139, lng: 77.209, postalCode: "110001" },
];

type Sku = { skuId: string; warehouseIds: string[] };

/** A vendor with three warehouses and one SKU whose stock is split across them. */
async function stockedSku(admin: Api, tag: string, stock: number): Promise<Sku> {
  const vendor = await admin.request<{ id: string }>("POST", "/v1/vendors", {
    body: { name: `Bench ${tag}`, commissionBps: 1000, hourlyCapacity: 1_000_000 },
  });
  const product = await admin.request<{ id: string }>("POST", "/v1/products", { body: { title: `Bench ${tag}` } });
  const sku = await admin.request<{ id: string }>("POST", "/v1/skus", {
    body: {
      vendorId: vendor.id,
      productId: product.id,
      code: `BENCH-${tag}`,
      title: `Bench item ${tag}`,
      price: { amountMinor: 19_900, currency: "INR" },
      barcode: `20${tag}`,
      lowStockThreshold: 0,
    },
  });
  const warehouseIds: string[] = [];
  for (const [i, site] of WAREHOUSE_SITES.entries()) {
    const wh = await admin.request<{ id: string }>("POST", `/v1/vendors/${vendor.id}/warehouses`, {
      body: { name: `Bench WH ${i}`, country: "IN", ...site },
    });
    warehouseIds.push(wh.id);
    const share = Math.floor(stock / 3) + (i < stock % 3 ? 1 : 0);
    await admin.request("PUT", `/v1/skus/${sku.id}/stock`, {
      body: { warehouseId: wh.id, onHand: share, reason: "count" },
    });
  }
  return { skuId: sku.id, warehouseIds };
}

type Totals = { onHand: number; available: number; held: number; committed: number };

/** Pays every accepted order, then checks the stock objects and the orders themselves. */
async function verify(
  admin: Api,
  url: string,
  accepted: { token: string; orderId: string; paymentId: string }[],
  skus: Sku[],
) {
  await mapLimit(accepted, 32, (a) =>
    admin.request("POST", `/v1/payments/${a.paymentId}/simulate`, { token: a.token, body: { outcome: "succeeded" } }),
  );
  const found = await mapLimit(accepted, 32, async (a) => {
    const res = await fetch(new URL(`/v1/orders/${a.orderId}`, url), {
      headers: { authorization: `Bearer ${a.token}` },
    });
    const order = (await res.json()) as { status?: string };
    return order.status === "paid";
  });
  const committed: number[] = [];
  for (const sku of skus) {
    const level = await admin.request<{ totals: Totals }>("GET", `/v1/skus/${sku.skuId}/stock`);
    committed.push(level.totals.committed);
  }
  return { lost: found.filter((ok) => !ok).length, committed };
}

// ---- main ---------------------------------------------------------------------------------

const requested = values.url ?? `http://127.0.0.1:${values.port}`;
const server = (await answers(requested)) ? undefined : await startFreshServer(values.port!, "oms-bench");
const url = server?.url ?? requested;
try {
  const demo = JSON.parse(readFileSync(path.join(ROOT, "demo.json"), "utf8")) as {
    tokens: { role: string; token: string }[];
  };
  const adminToken = demo.tokens.find((t) => t.role === "admin")!.token;
  const admin = api(url, adminToken);
  const pkg = (name: string) =>
    (JSON.parse(readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string })
      .version;

  console.log("# bun run bench");
  console.log(
    `machine: ${os.cpus()[0]?.model ?? "?"} x ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`,
  );
  console.log(
    `runtime: Node ${process.version} driving workerd ${pkg("workerd")} via Miniflare ${pkg("miniflare")} (bun run start: bundled Worker, no dev proxy)`,
  );
  console.log(
    `storage: D1 and Durable Object SQLite files on local disk (${server ? `a fresh marketplace in ${server.stateDir}` : "the running server's"})`,
  );
  console.log(
    `server: ${url}; client: one Node process, undici pool of ${CONNECTIONS} keep-alive connections, all requests of a burst in flight at once`,
  );

  if (want("checkout")) {
    console.log(
      `\ncheckout parameters: ${BUYERS} concurrent guest buyers per burst, stock ${STOCK} per SKU (3 warehouses), ${REPS} repetitions`,
    );
    const tag0 = Date.now().toString(36);
    console.log(`\ncreating ${BUYERS} guest buyers (not timed)...`);
    const buyers = await mapLimit(Array.from({ length: BUYERS }), 32, (_, i) =>
      admin.request<{ token: string }>("POST", "/v1/customers", { token: "", body: { name: `Bench buyer ${i}` } }),
    );

    const claimRuns: Burst[] = [];
    const singleRuns: (Burst & { accepted: number; oversell: number; lost: number })[] = [];
    const cartRuns: (Burst & { accepted: number; oversell: number; lost: number })[] = [];

    for (let rep = 0; rep < REPS; rep++) {
      const tag = `${tag0}${rep}`;

      const bare = await stockedSku(admin, `c${tag}`, STOCK);
      claimRuns.push(
        await burst(BUYERS, () =>
          fetch(new URL(`/v1/bench/claim/${bare.skuId}`, url), {
            method: "POST",
            // Admin-only, like every benchmark route; checkout authenticates its buyers the same way.
            headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
            body: JSON.stringify({ warehouses: bare.warehouseIds }),
          }),
        ),
      );

      for (const shape of ["single", "cart"] as const) {
        const skus =
          shape === "single"
            ? [await stockedSku(admin, `s${tag}`, STOCK)]
            : await Promise.all([0, 1, 2].map((v) => stockedSku(admin, `v${v}${tag}`, STOCK)));
        const accepted: { token: string; orderId: string; paymentId: string }[] = [];
        const run = await burst(
          BUYERS,
          (i) =>
            fetch(new URL("/v1/checkout", url), {
              method: "POST",
              headers: {
                authorization: `Bearer ${buyers[i]!.token}`,
                "content-type": "application/json",
                "idempotency-key": `bench-${shape}-${tag}-${i}`,
              },
              body: JSON.stringify({ lines: skus.map((s) => ({ skuId: s.skuId, qty: 1 })), shipTo: SHIP_TO }),
            }),
          (i, body) => accepted.push({ token: buyers[i]!.token, orderId: body.order.id, paymentId: body.payment.id }),
        );
        console.log(`  rep ${rep + 1} ${shape}: ${fmt(run.perSecond)} requests/s ${JSON.stringify(run.statuses)}`);
        const check = await verify(admin, url, accepted, skus);
        const oversell = Math.max(0, ...check.committed.map((c) => c - STOCK), accepted.length - STOCK);
        const result = { ...run, accepted: accepted.length, oversell, lost: check.lost };
        (shape === "single" ? singleRuns : cartRuns).push(result);
        if (check.committed.some((c) => c !== accepted.length)) {
          console.log(
            `  ! rep ${rep} ${shape}: committed ${check.committed.join("/")} for ${accepted.length} accepted orders`,
          );
        }
      }
      console.log(`  rep ${rep + 1}/${REPS} done`);
    }

    const claimRate = median(claimRuns.map((r) => r.perSecond));
    const report = (name: string, runs: (Burst & { accepted?: number; oversell?: number; lost?: number })[]) => {
      console.log(`\n## ${name}`);
      console.log(`offered load: ${BUYERS} requests at once, ${REPS} runs`);
      console.log(`replies: ${runs.map((r) => JSON.stringify(r.statuses)).join("  ")}`);
      if (runs[0]?.accepted !== undefined) {
        console.log(`orders accepted: ${runs.map((r) => r.accepted).join(", ")} (stock ${STOCK})`);
        console.log(
          `oversell: ${runs.map((r) => r.oversell).join(", ")}   lost orders: ${runs.map((r) => r.lost).join(", ")}`,
        );
      }
      console.log(`requests/s: ${spread(runs.map((r) => r.perSecond))}`);
      console.log(`latency p50 ms: ${spread(runs.map((r) => r.p50))}   p99 ms: ${spread(runs.map((r) => r.p99))}`);
      if (runs !== claimRuns) {
        console.log(
          `fraction of the bare claim rate: ${fmt(median(runs.map((r) => r.perSecond)) / claimRate, 2)} (floor 0.5, target 0.8)`,
        );
      }
    };
    report("bare claim (POST /v1/bench/claim: the reserve RPC alone, one SKU)", claimRuns);
    report("checkout, one SKU, 1 unit each", singleRuns);
    report("checkout, 3-vendor carts (3 SKUs, 1 unit each)", cartRuns);
    const failed = [...singleRuns, ...cartRuns].some(
      (r) => r.oversell > 0 || r.lost > 0 || Object.keys(r.statuses).some((s) => !["201", "409", "429"].includes(s)),
    );
    if (failed) {
      console.log("\nFAILED: oversell, lost orders, 5xx or dropped connections above");
      process.exitCode = 1;
    }
  }

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
    await runFeeds({ baseUrl: url, adminToken, subscribers: Number(values.subscribers) });
  }

  if (values.scenario === "insight") {
    console.log("\n## analytics over a generated order history (roll-ups, analytics API, ops order list)");
    await runInsight({ admin, orders: Number(values.orders) });
  }
} finally {
  await server?.stop();
}
