// SLA watcher benchmark: the every-minute job over a large book of open sub-orders, timed per
// tick. 100,000 open sub-orders are written straight into D1 (POST /v1/bench/sla, development
// only): 1 in 100 inside its vendor's nudge lead, the rest not due for hours. A few hundred real
// orders (checkout, simulated payment) at a vendor with a 1-hour SLA are past their deadline when
// the ticks run, a day ahead on the job's moved clock (far enough that the server's own cron, on
// the real clock, never reaches the seeded sub-orders meanwhile). Ticks run until one finds nothing to do,
// then a few idle ones; afterwards nothing may have been nudged, cancelled or refunded twice.
import os from "node:os";
import { type Api, mapLimit } from "../scripts/lib/api.ts";
import { median } from "./load.ts";

export type SlaBenchOptions = {
  admin: Api;
  openSubOrders?: number;
  /** One in this many seeded sub-orders is inside its nudge lead. */
  nudgeEvery?: number;
  breachedOrders?: number;
  idleTicks?: number;
  log?: (line: string) => void;
};

export type SlaBenchResult = {
  seeded: { seeded: number; inNudgeLead: number; notYetDue: number };
  breachedOrders: number;
  ticks: { ms: number; scanned: number; nudged: number; cancelled: number; failed: number }[];
  audit: Record<string, number>;
  plans: { breached: string[]; toNudge: string[] };
};

type TickResult = { scanned: number; nudged: number; cancelled: number; failed: number };

const SHIP_TO = {
  name: "SLA Bench Buyer",
  address: { line1: "1 MG Road", city: "Bengaluru", postalCode: "560001", country: "IN" },
  lat: 12.97,
  lng: 77.59,
};

const spread = (xs: number[]) =>
  xs.length === 0
    ? "n/a"
    : `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`;

/** Paid orders at a vendor whose 1-hour SLA has run out by the time the ticks run. */
async function breachedOrders(admin: Api, tag: string, count: number) {
  const vendor = await admin.request<{ id: string }>("POST", "/v1/vendors", {
    body: { name: `SLA bench ${tag}`, commissionBps: 1000, hourlyCapacity: 1_000_000, dispatchSlaHours: 1 },
  });
  const warehouse = await admin.request<{ id: string }>("POST", `/v1/vendors/${vendor.id}/warehouses`, {
    body: { name: `SLA bench WH ${tag}`, lat: 12.97, lng: 77.59, postalCode: "560001", country: "IN" },
  });
  const product = await admin.request<{ id: string }>("POST", "/v1/products", { body: { title: `SLA bench ${tag}` } });
  const sku = await admin.request<{ id: string }>("POST", "/v1/skus", {
    body: {
      vendorId: vendor.id,
      productId: product.id,
      code: `SLA-${tag}`,
      title: `SLA bench item ${tag}`,
      price: { amountMinor: 19_900, currency: "INR" },
      barcode: `31${Date.now()}`,
      lowStockThreshold: 0,
    },
  });
  await admin.request("PUT", `/v1/skus/${sku.id}/stock`, {
    body: { warehouseId: warehouse.id, onHand: count, reason: "count" },
  });
  await mapLimit(Array.from({ length: count }), 16, async (_, i) => {
    const buyer = await admin.request<{ token: string }>("POST", "/v1/customers", {
      token: "",
      body: { name: `SLA bench buyer ${i}` },
    });
    const placed = await admin.request<{ payment: { id: string } }>("POST", "/v1/checkout", {
      token: buyer.token,
      body: { lines: [{ skuId: sku.id, qty: 1 }], shipTo: SHIP_TO },
      headers: { "idempotency-key": `sla-bench-${tag}-${i}` },
    });
    await admin.request("POST", `/v1/payments/${placed.payment.id}/simulate`, {
      token: buyer.token,
      body: { outcome: "succeeded" },
    });
  });
}

export async function run(opts: SlaBenchOptions): Promise<SlaBenchResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const { admin } = opts;
  const count = opts.openSubOrders ?? 100_000;
  const nudgeEvery = opts.nudgeEvery ?? 100;
  const breached = opts.breachedOrders ?? 200;
  const idleTicks = opts.idleTicks ?? 5;
  const tag = Date.now().toString(36);
  // The job's clock, a day ahead: past the breached orders' deadlines, and the seeded
  // sub-orders' deadlines are laid out from it.
  const at = new Date(Math.ceil((Date.now() + 24 * 3_600_000) / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

  log(
    `machine: ${os.cpus()[0]?.model ?? "?"} x ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
  );
  log(
    `parameters: ${count} seeded open sub-orders (1 in ${nudgeEvery} inside a 6 h nudge lead), ${breached} real paid orders past a 1 h SLA, job clock ${at}`,
  );
  const t0 = performance.now();
  const customer = await admin.request<{ customerId: string }>("POST", "/v1/customers", {
    token: "",
    body: { name: `SLA bench ${tag}` },
  });
  const vendor = await admin.request<{ id: string }>("POST", "/v1/vendors", {
    body: { name: `SLA bench seeded ${tag}`, commissionBps: 1000, hourlyCapacity: 1_000_000 },
  });
  const seeded = await admin.request<SlaBenchResult["seeded"]>("POST", "/v1/bench/sla", {
    body: { tag, count, nudgeEvery, at, customerId: customer.customerId, vendorId: vendor.id },
    timeoutMs: 600_000,
  });
  log(
    `seeded ${seeded.seeded} (${seeded.inNudgeLead} in their nudge lead, ${seeded.notYetDue} not yet due) in ${((performance.now() - t0) / 1000).toFixed(1)} s (not timed)`,
  );
  const t1 = performance.now();
  await breachedOrders(admin, tag, breached);
  log(`placed and paid ${breached} orders to breach in ${((performance.now() - t1) / 1000).toFixed(1)} s (not timed)`);

  const ticks: SlaBenchResult["ticks"] = [];
  let idle = 0;
  while (idle < idleTicks && ticks.length < 1_000) {
    const started = performance.now();
    const { result } = await admin.request<{ result: TickResult }>("POST", "/v1/admin/jobs/sla-watcher/run", {
      body: { now: at },
      timeoutMs: 600_000,
    });
    ticks.push({ ms: performance.now() - started, ...result });
    if (result.nudged === 0 && result.cancelled === 0) idle += 1;
  }
  const { audit, plans } = await admin.request<Pick<SlaBenchResult, "audit" | "plans">>(
    "GET",
    `/v1/bench/sla/${tag}?at=${encodeURIComponent(at)}`,
  );

  const working = ticks.filter((t) => t.nudged > 0 || t.cancelled > 0);
  const sum = (k: keyof TickResult) => ticks.reduce((n, t) => n + t[k], 0);
  log(
    `ticks: ${ticks.length} (POST /v1/admin/jobs/sla-watcher/run, timed at the client; each tick nudges at most 500 and cancels a page of breaches, the rest continuing on the queue)`,
  );
  for (const [i, t] of ticks.entries()) {
    log(
      `  tick ${i + 1}: ${t.ms.toFixed(0)} ms  scanned ${t.scanned}, nudged ${t.nudged}, cancelled ${t.cancelled}, failed ${t.failed}`,
    );
  }
  log(`time per working tick: ${spread(working.map((t) => t.ms))}`);
  log(`time per idle tick (nothing due): ${spread(ticks.filter((t) => !working.includes(t)).map((t) => t.ms))}`);
  log(`totals: nudged ${sum("nudged")}, cancelled ${sum("cancelled")}, failed ${sum("failed")}`);
  log(`done twice (must all be 0): ${JSON.stringify(audit)}`);
  log(`query plans: breached: ${plans.breached[0]}; to nudge: ${plans.toNudge[0]}`);
  return { seeded, breachedOrders: breached, ticks, audit, plans };
}
