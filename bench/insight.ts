// Analytics benchmark: a generated history of 1,000,000 orders over a year (POST /v1/bench/insight/*,
// development only, written straight into the local D1 by recursive CTEs), the roll-ups rebuilt
// over it, then the p95 of each analytics endpoint and of the ops order list (filtered, paginated),
// and the time the 15-minute incremental refresh takes to catch up on a quarter-hour of changes
// (new orders and late returns on orders of the last two weeks).
//
//   bun run bench -- --only insight [--history-orders 1000000]
import os from "node:os";
import { type Api, mapLimit } from "../scripts/lib/api.ts";

export type InsightBenchOptions = {
  admin: Api;
  orders?: number;
  days?: number;
  /** Requests per endpoint. */
  samples?: number;
  /** Requests in flight at once: a handful of people at their dashboards. */
  concurrency?: number;
  quarterHourOrders?: number;
  lateChanges?: number;
  log?: (line: string) => void;
};

const SLICE = 50_000;
const VENDORS = 50;
const INTERACTIVE_P95_MS = 150;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** Times `samples` requests, `concurrency` at a time; `path(i)` may follow cursors itself. */
async function timed(samples: number, concurrency: number, send: (i: number) => Promise<unknown>) {
  const ms: number[] = [];
  await mapLimit(Array.from({ length: samples }), concurrency, async (_, i) => {
    const t0 = performance.now();
    await send(i);
    ms.push(performance.now() - t0);
  });
  return { p50: quantile(ms, 0.5), p95: quantile(ms, 0.95), max: Math.max(...ms), n: ms.length };
}

/** Refresh pages, a few per request (a rebuild of a year runs minutes), until caught up; answers the pages run. */
async function refreshAll(admin: Api, at: string, rebuild: boolean): Promise<number> {
  let pages = 0;
  for (let first = true; ; first = false) {
    const r = await admin.request<{ pages: number; last: { continued: boolean } }>(
      "POST",
      "/v1/bench/insight/refresh",
      {
        body: { at, rebuild: rebuild && first, maxPages: 3 },
        timeoutMs: 240_000,
      },
    );
    pages += r.pages;
    if (!r.last.continued) return pages;
  }
}

export async function run(opts: InsightBenchOptions): Promise<{ slowest: number; refreshMs: number }> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const { admin } = opts;
  const total = opts.orders ?? 1_000_000;
  const days = opts.days ?? 365;
  const samples = opts.samples ?? 200;
  const concurrency = opts.concurrency ?? 4;
  const tag = Date.now().toString(36);
  const at = new Date();
  const atIso = at.toISOString().replace(/\.\d{3}Z$/, "Z");
  log(
    `machine: ${os.cpus()[0]?.model ?? "?"} x ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
  );
  log(
    `parameters: ${total} orders over ${days} days, ${VENDORS} vendors x 10 SKUs, ${samples} requests per endpoint, ${concurrency} in flight`,
  );

  const t0 = performance.now();
  await admin.request("POST", "/v1/bench/insight/catalog", { body: { tag, at: atIso } });
  for (let from = 0; from < total; from += SLICE)
    await admin.request("POST", "/v1/bench/insight/orders", {
      body: { tag, from, count: Math.min(SLICE, total - from), days, at: atIso },
      timeoutMs: 600_000,
    });
  log(`generated the history in ${((performance.now() - t0) / 1000).toFixed(1)} s (not timed below)`);

  const t1 = performance.now();
  const rebuilt = await refreshAll(admin, atIso, true);
  log(`full rebuild: ${((performance.now() - t1) / 1000).toFixed(1)} s in ${rebuilt} refresh pages`);

  const vendor = (i: number) => `ven_i${tag}_${(i * 7) % VENDORS}`;
  // Alternately the last 30 days and the whole year.
  const range = (i: number) =>
    `from=${day(new Date(at.getTime() - (i % 2 ? 29 : days - 1) * 86_400_000))}&to=${day(at)}`;
  const get = (path: string) => admin.request("GET", path);
  const reads: [string, (i: number) => Promise<unknown>][] = [
    ["analytics: platform", (i) => get(`/v1/analytics/platform?${range(i)}`)],
    ["analytics: top vendors", (i) => get(`/v1/analytics/platform/top-vendors?${range(i)}&limit=10`)],
    ["analytics: vendor summary", (i) => get(`/v1/analytics/vendors/${vendor(i)}?${range(i)}`)],
    ["analytics: vendor products", (i) => get(`/v1/analytics/vendors/${vendor(i)}/products?${range(i)}`)],
    ["analytics: vendor inventory", (i) => get(`/v1/analytics/vendors/${vendor(i)}/inventory?${range(i)}`)],
    ["orders: status=delivered, page 1", () => get("/v1/orders?status=delivered&limit=50")],
    ["orders: by vendor, page 1", (i) => get(`/v1/orders?vendorId=${vendor(i)}&limit=50`)],
    [
      "orders: cancelled in a week, page 1",
      (i) => {
        const to = new Date(at.getTime() - (i % 300) * 86_400_000);
        const from = new Date(to.getTime() - 7 * 86_400_000);
        return get(
          `/v1/orders?status=cancelled&from=${from.toISOString().replace(/\.\d{3}Z$/, "Z")}&to=${to.toISOString().replace(/\.\d{3}Z$/, "Z")}&limit=50`,
        );
      },
    ],
    [
      "orders: by vendor, page 5 (cursor)",
      async (i) => {
        let cursor: string | null = null;
        for (let p = 0; p < 5; p++) {
          const page: { nextCursor: string | null } = await admin.request(
            "GET",
            `/v1/orders?vendorId=${vendor(i)}&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
          );
          cursor = page.nextCursor;
        }
      },
    ],
  ];
  log("\n| read | p50 ms | p95 ms | max ms | n |\n|---|---:|---:|---:|---:|");
  let slowest = 0;
  for (const [name, send] of reads) {
    const r = await timed(samples, concurrency, send);
    // The fifth-page figure is five requests in a row; its per-request share is what a screen waits.
    const p95 = name.includes("page 5") ? r.p95 / 5 : r.p95;
    slowest = Math.max(slowest, p95);
    log(`| ${name} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.max.toFixed(1)} | ${r.n} |`);
  }
  log(`slowest p95 per request: ${slowest.toFixed(1)} ms (target < ${INTERACTIVE_P95_MS} ms)`);

  const quarterHourOrders = opts.quarterHourOrders ?? 1_000;
  const lateChanges = opts.lateChanges ?? 1_000;
  const later = new Date(at.getTime() + 15 * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  await admin.request("POST", "/v1/bench/insight/quarter-hour", {
    body: { tag, total, orders: quarterHourOrders, lateChanges, days, at: later },
    timeoutMs: 600_000,
  });
  const t2 = performance.now();
  const refreshed = { pages: await refreshAll(admin, later, false) };
  const refreshMs = performance.now() - t2;
  log(
    `\n15-minute incremental refresh after ${quarterHourOrders} new orders and ${lateChanges} late returns (orders up to 2 weeks old): ${refreshMs.toFixed(0)} ms, ${refreshed.pages} pages`,
  );
  if (slowest >= INTERACTIVE_P95_MS) log(`OVER TARGET: an interactive read's p95 is ${slowest.toFixed(1)} ms`);
  return { slowest, refreshMs };
}
