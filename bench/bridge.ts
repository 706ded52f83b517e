// Inventory-bridge benchmark: 100,000 staged rows (1,000 SKUs of one vendor, 100 rows each: a
// count in ten, the rest one-unit deltas), written straight into D1 (POST /v1/bench/bridge,
// development only), then reconciled by the every-minute job: one run is started (as the cron
// tick would), and its pages continue on the queue. Timed until every row is applied; the most D1
// queries any one page (its invocation's share) spent is read from the pages' own records.
import type { Api } from "../scripts/lib/api.ts";

export type BridgeBenchOptions = { admin: Api; skus?: number; rowsPerSku?: number; log?: (line: string) => void };

type Progress = {
  staged: number | null;
  applied: number | null;
  pages: number;
  maxQueries: number | null;
  maxRows: number | null;
  maxSkus: number | null;
};

// The cron trigger's period: if the queue chain stops with rows left (a page failed), the next
// tick picks them up; the benchmark starts a run at that moment, as the cron would.
const TICK_MS = 60_000;

export async function run(opts: BridgeBenchOptions) {
  const log = opts.log ?? ((line: string) => console.log(line));
  const { admin } = opts;
  const skus = opts.skus ?? 1_000;
  const rowsPerSku = opts.rowsPerSku ?? 100;
  const tag = Date.now().toString(36);
  const vendor = await admin.request<{ id: string }>("POST", "/v1/vendors", {
    body: { name: `Bridge bench ${tag}`, commissionBps: 1000, hourlyCapacity: 1_000_000 },
  });
  const product = await admin.request<{ id: string }>("POST", "/v1/products", {
    body: { title: `Bridge bench ${tag}` },
  });
  const warehouse = await admin.request<{ id: string }>("POST", `/v1/vendors/${vendor.id}/warehouses`, {
    body: { name: `Bridge bench WH ${tag}`, lat: 12.97, lng: 77.59, postalCode: "560001", country: "IN" },
  });
  const t0 = performance.now();
  const seeded = await admin.request<{ skus: number; rows: number }>("POST", "/v1/bench/bridge", {
    body: { tag, vendorId: vendor.id, productId: product.id, warehouseId: warehouse.id, skus, rowsPerSku },
    timeoutMs: 600_000,
  });
  log(
    `staged ${seeded.rows} rows for ${seeded.skus} SKUs in ${((performance.now() - t0) / 1000).toFixed(1)} s (not timed)`,
  );

  const since = Date.now();
  const started = performance.now();
  let ticks = 1;
  let lastTick = started;
  await admin.request("POST", "/v1/admin/jobs/inventory-bridge/run", { body: {}, timeoutMs: 600_000 });
  let p: Progress;
  for (;;) {
    p = await admin.request<Progress>("GET", `/v1/bench/bridge/${vendor.id}?since=${since}`);
    if ((p.staged ?? 0) === 0) break;
    if (performance.now() - lastTick >= TICK_MS) {
      ticks += 1;
      lastTick = performance.now();
      await admin.request("POST", "/v1/admin/jobs/inventory-bridge/run", { body: {}, timeoutMs: 600_000 });
    }
    if (performance.now() - started > 30 * 60_000)
      throw new Error(`bridge reconcile still has ${p.staged} rows staged after 30 minutes`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = (performance.now() - started) / 1000;
  log(
    `reconciled ${p.applied} rows in ${seconds.toFixed(1)} s (${((p.applied ?? 0) / seconds).toFixed(0)} rows/s), ${p.pages} pages, ${ticks} job run(s) started`,
  );
  log(
    `most D1 queries in one page: ${p.maxQueries} (largest page ${p.maxRows} rows over ${p.maxSkus} SKUs, one stock-object call per SKU)`,
  );
  return { rows: p.applied ?? 0, seconds, pages: p.pages, maxQueries: p.maxQueries ?? 0 };
}
