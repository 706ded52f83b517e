// Feed fan-out benchmark: many storefront subscribers on one SKU's stock feed, and the time from a
// stock change request to its delivery at each subscriber. Drives the server of `bun run start`
// (read from demo.json). Standalone: `node bench/feeds.ts [--subscribers 1000] [--changes 20] [--tickets]`;
// or import `run(opts)`. Storefronts open the public SKU feed anonymously; with `--tickets` each
// subscriber opens it as a signed-in client does, with a single-use ticket of its own.
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cpuMs, residentKiB } from "./load.ts";

export type FeedBenchOptions = {
  /** Base URL of the server; defaults to demo.json's. */
  baseUrl?: string;
  /** An admin token; defaults to demo.json's. */
  adminToken?: string;
  demoFile?: string;
  subscribers?: number;
  changes?: number;
  /** Sockets opened at once while connecting. */
  connectConcurrency?: number;
  /**
   * Each subscriber opens the feed with its own ticket (POST /v1/feeds/tickets as admin), as the
   * dashboards do, instead of anonymously as storefronts do. Tickets are minted per connect batch,
   * in parallel, just before their sockets open: they expire 30 s after minting.
   */
  tickets?: boolean;
  /** Quiet time between changes, so each change is measured on its own. */
  pauseMs?: number;
  /** The workerd process of the server, when this run started it: its CPU per change is printed. */
  workerdPid?: number;
  /** How long one change may take to reach every subscriber. */
  deliveryTimeoutMs?: number;
  currency?: string;
  log?: (line: string) => void;
};

export type FeedBenchResult = {
  subscribers: number;
  changes: number;
  samples: number;
  missed: number;
  deliveryMs: { p50: number; p99: number; max: number; mean: number };
  /** Per change, until the last subscriber had it. */
  fanOutMs: { p50: number; p99: number; max: number };
  changeRequestMs: { p50: number; p99: number };
  connectSeconds: number;
  /** How much workerd's resident memory grew per subscriber connected (NaN when unknown). */
  memoryPerSubscriberKiB: number;
  /** The WebSocket extensions the handshakes agreed, with how many sockets agreed each ("" is none). */
  extensions: Record<string, number>;
  /** CPU per change of the server's workerd (NaN when unknown) and of this client process. */
  cpuPerChangeMs: { server: number; client: number };
  /** With `tickets`: the ticket requests of all subscribers (included in connectSeconds). */
  ticketMs?: { p50: number; p99: number };
};

type Demo = { baseUrl: string; tokens: { role: string; token: string }[] };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function readDemo(file: string): Demo {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Demo;
  } catch (err) {
    throw new Error(`cannot read ${file} (start the server with \`bun run start\` first): ${String(err)}`);
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round = (n: number) => Math.round(n * 10) / 10;

async function call<T>(baseUrl: string, token: string, method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(new URL(p, baseUrl), {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p} -> ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** A fresh vendor, warehouse and SKU, so the run neither depends on nor disturbs the demo's stock. */
async function fixture(baseUrl: string, admin: string, currency: string) {
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const vendor = await call<{ id: string }>(baseUrl, admin, "POST", "/v1/vendors", {
    name: `Feed bench ${tag}`,
    commissionBps: 1000,
    hourlyCapacity: 1000,
  });
  const warehouse = await call<{ id: string }>(baseUrl, admin, "POST", `/v1/vendors/${vendor.id}/warehouses`, {
    name: `Feed bench WH ${tag}`,
    lat: 12.9352,
    lng: 77.6245,
    postalCode: "560034",
    country: "IN",
  });
  const product = await call<{ id: string }>(baseUrl, admin, "POST", "/v1/products", { title: `Feed bench ${tag}` });
  const sku = await call<{ id: string }>(baseUrl, admin, "POST", "/v1/skus", {
    vendorId: vendor.id,
    productId: product.id,
    code: `FB-${tag}`,
    title: `Feed bench item ${tag}`,
    price: { amountMinor: 10_000, currency },
    barcode: `99${Date.now()}`,
    lowStockThreshold: 1,
  });
  return { skuId: sku.id, warehouseId: warehouse.id };
}

/** A single-use ticket for one feed; it goes in the socket URL, the admin token never does. */
async function mintTicket(baseUrl: string, admin: string, feed: string): Promise<string> {
  return (await call<{ ticket: string }>(baseUrl, admin, "POST", "/v1/feeds/tickets", { feed })).ticket;
}

type Subscriber = {
  ws: WebSocket;
  /** available count -> arrival time (performance.now) */
  arrivals: Map<number, number>;
};

function openSubscriber(url: string, onArrival: (available: number) => void): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const sub: Subscriber = { ws, arrivals: new Map() };
    const timer = setTimeout(() => reject(new Error("no hello within 30 s")), 30_000);
    ws.addEventListener("message", (e) => {
      const at = performance.now();
      const frame = JSON.parse(String(e.data)) as { type: string; data?: { available?: number } };
      if (frame.type === "hello") {
        clearTimeout(timer);
        resolve(sub);
      } else if (frame.type === "stock.changed" && typeof frame.data?.available === "number") {
        if (sub.arrivals.has(frame.data.available)) return;
        sub.arrivals.set(frame.data.available, at);
        onArrival(frame.data.available);
      }
    });
    ws.addEventListener("error", () => {
      clearTimeout(timer);
      // The path only: a ticket in the query is a credential until used, and is never printed.
      reject(new Error(`WebSocket error on ${new URL(url).pathname}`));
    });
  });
}

export async function run(opts: FeedBenchOptions = {}): Promise<FeedBenchResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const demo = opts.baseUrl && opts.adminToken ? null : readDemo(opts.demoFile ?? path.join(ROOT, "demo.json"));
  const baseUrl = opts.baseUrl ?? demo!.baseUrl;
  const admin = opts.adminToken ?? demo!.tokens.find((t) => t.role === "admin")?.token;
  if (!admin) throw new Error("no admin token in demo.json");
  const n = opts.subscribers ?? 1000;
  const changes = opts.changes ?? 20;
  const concurrency = opts.connectConcurrency ?? 100;
  const pauseMs = opts.pauseMs ?? 100;
  const timeoutMs = opts.deliveryTimeoutMs ?? 10_000;

  const { skuId, warehouseId } = await fixture(baseUrl, admin, opts.currency ?? "INR");
  // Each count names the version of the level it replaces; the fresh SKU has no other writer.
  let version = 0;
  const setStock = async (onHand: number) => {
    const body = { warehouseId, onHand, expectedVersion: version, reason: "count" };
    const levels = await call<{ warehouses: { warehouseId: string; version: number }[] }>(
      baseUrl,
      admin,
      "PUT",
      `/v1/skus/${skuId}/stock`,
      body,
    );
    version = levels.warehouses.find((w) => w.warehouseId === warehouseId)!.version;
  };
  const base = 1_000;
  await setStock(base);

  const feedUrl = new URL(`/v1/feeds/skus/${skuId}`, baseUrl);
  feedUrl.protocol = feedUrl.protocol === "https:" ? "wss:" : "ws:";
  const ticketMs: number[] = [];
  const urlFor = async (): Promise<string> => {
    if (!opts.tickets) return feedUrl.href;
    const t0 = performance.now();
    const ticket = await mintTicket(baseUrl, admin, `sku:${skuId}`);
    ticketMs.push(performance.now() - t0);
    const url = new URL(feedUrl);
    url.searchParams.set("ticket", ticket);
    return url.href;
  };
  // Set while a change is measured: it tallies that count's first arrival at each subscriber, so
  // a frame costs this client the same to read at 1,000 subscribers as at 10.
  const waiter: { wake: ((available: number) => void) | null } = { wake: null };
  const onArrival = (available: number) => waiter.wake?.(available);
  const subs: Subscriber[] = [];
  const rssBefore = residentKiB(opts.workerdPid);
  const connectStart = performance.now();
  for (let i = 0; i < n; i += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, n - i) }, async () =>
      openSubscriber(await urlFor(), onArrival),
    );
    subs.push(...(await Promise.all(batch)));
  }
  const connectSeconds = (performance.now() - connectStart) / 1000;
  const rssAfter = residentKiB(opts.workerdPid);
  const memoryPerSubscriberKiB =
    rssBefore === undefined || rssAfter === undefined ? Number.NaN : (rssAfter - rssBefore) / n;
  log(
    `feeds: ${n} subscribers connected to sku:${skuId} in ${round(connectSeconds)} s${opts.tickets ? " (each with its own ticket)" : ""}`,
  );
  // Node's WebSocket offers permessage-deflate, as browsers do; the server decides whether frames are deflated.
  const extensions: Record<string, number> = {};
  for (const sub of subs) extensions[sub.ws.extensions] = (extensions[sub.ws.extensions] ?? 0) + 1;

  const samples: number[] = [];
  const fanOut: number[] = [];
  const requestMs: number[] = [];
  let missed = 0;
  // Both sides' CPU over the changes (the pauses between them are idle): how much of a delivery is
  // the server's fan-out, and how much is this one process reading every subscriber's frame.
  const serverCpuBefore = cpuMs(opts.workerdPid);
  const clientCpuBefore = process.cpuUsage();
  for (let c = 1; c <= changes; c++) {
    await new Promise((r) => setTimeout(r, pauseMs));
    const available = base + c;
    const t0 = performance.now();
    let arrived = 0;
    const done = new Promise<void>((resolve) => {
      const deadline = setTimeout(resolve, timeoutMs);
      waiter.wake = (count) => {
        if (count !== available) return;
        arrived += 1;
        if (arrived === subs.length) {
          clearTimeout(deadline);
          resolve();
        }
      };
    });
    await setStock(available);
    requestMs.push(performance.now() - t0);
    await done;
    waiter.wake = null;
    let last = 0;
    for (const s of subs) {
      const at = s.arrivals.get(available);
      if (at === undefined) {
        missed += 1;
        continue;
      }
      samples.push(at - t0);
      last = Math.max(last, at - t0);
      s.arrivals.delete(available);
    }
    fanOut.push(last);
  }
  const serverCpu = (cpuMs(opts.workerdPid) ?? Number.NaN) - (serverCpuBefore ?? Number.NaN);
  const clientCpu = process.cpuUsage(clientCpuBefore);
  for (const s of subs) s.ws.close(1000, "bench done");

  samples.sort((a, b) => a - b);
  fanOut.sort((a, b) => a - b);
  requestMs.sort((a, b) => a - b);
  const result: FeedBenchResult = {
    subscribers: n,
    changes,
    samples: samples.length,
    missed,
    deliveryMs: {
      p50: round(percentile(samples, 50)),
      p99: round(percentile(samples, 99)),
      max: round(samples.at(-1) ?? Number.NaN),
      mean: round(samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length)),
    },
    fanOutMs: {
      p50: round(percentile(fanOut, 50)),
      p99: round(percentile(fanOut, 99)),
      max: round(fanOut.at(-1) ?? Number.NaN),
    },
    changeRequestMs: { p50: round(percentile(requestMs, 50)), p99: round(percentile(requestMs, 99)) },
    connectSeconds: round(connectSeconds),
    memoryPerSubscriberKiB: round(memoryPerSubscriberKiB),
    extensions,
    cpuPerChangeMs: {
      server: round(serverCpu / changes),
      client: round((clientCpu.user + clientCpu.system) / 1000 / changes),
    },
  };
  if (opts.tickets) {
    ticketMs.sort((a, b) => a - b);
    result.ticketMs = { p50: round(percentile(ticketMs, 50)), p99: round(percentile(ticketMs, 99)) };
  }

  const cpus = os.cpus();
  log("feeds bench: stock change -> delivery on one SKU's public stock feed");
  log(`  machine     ${cpus[0]?.model ?? "unknown CPU"} x${cpus.length}, ${round(os.totalmem() / 2 ** 30)} GiB RAM`);
  log(`  system      ${os.type()} ${os.release()} ${os.arch()}, Node ${process.version}`);
  log(`  server      ${baseUrl} (workerd via bun run start; subscribers in this one Node process)`);
  log(
    `  parameters  subscribers=${n} changes=${changes} (sequential PUT /v1/skus/{skuId}/stock as admin) pause=${pauseMs}ms`,
  );
  const agreed = Object.entries(extensions).map(([ext, count]) => `${count} ${ext === "" ? "none" : ext}`);
  log(`  compression ${agreed.join(", ")} (offered: permessage-deflate, as browsers do)`);
  log(
    `  memory      workerd resident ${Number.isNaN(result.memoryPerSubscriberKiB) ? "n/a (server not started by this run, or not Linux)" : `+${result.memoryPerSubscriberKiB} KiB`} per subscriber connected`,
  );
  log(`  delivered   ${samples.length} of ${n * changes} (missed ${missed} within ${timeoutMs} ms)`);
  log(
    `  latency     p50 ${result.deliveryMs.p50} ms, p99 ${result.deliveryMs.p99} ms, max ${result.deliveryMs.max} ms (change request sent -> frame at subscriber)`,
  );
  log(`  fan-out     last subscriber per change: p50 ${result.fanOutMs.p50} ms, p99 ${result.fanOutMs.p99} ms`);
  log(`  request     PUT round trip p50 ${result.changeRequestMs.p50} ms, p99 ${result.changeRequestMs.p99} ms`);
  log(
    `  cpu         per change: workerd ${Number.isNaN(result.cpuPerChangeMs.server) ? "n/a (server not started by this run, or not Linux)" : `${result.cpuPerChangeMs.server} ms`} (the PUT, the push, ${n} sends), this client ${result.cpuPerChangeMs.client} ms (${n} frames read)`,
  );
  if (result.ticketMs) {
    log(
      `  tickets     ${n} minted ${concurrency} at a time: p50 ${result.ticketMs.p50} ms, p99 ${result.ticketMs.p99} ms`,
    );
  }
  return result;
}

function flag(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : undefined;
  if (v !== undefined && (!Number.isInteger(v) || v <= 0)) throw new Error(`--${name} takes a positive integer`);
  return v;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run({
    subscribers: flag("subscribers"),
    changes: flag("changes"),
    tickets: process.argv.includes("--tickets"),
  }).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
