import { uniqueViolation } from "../db/constraints";
import { isoSeconds } from "../domain/time";

/**
 * Fixtures for the inventory-bridge benchmark (local development only): `skus` SKUs of one vendor
 * written straight into D1, and `rowsPerSku` staged bridge rows for each in one warehouse, as many
 * signed requests would have staged them. One row in ten is a count (taken a second apart, oldest
 * first), the rest are deltas of one unit in or out.
 */
export async function seedBridgeRows(
  env: Env,
  input: { tag: string; vendorId: string; productId: string; warehouseId: string; skus: number; rowsPerSku: number },
): Promise<{ ok: true; skus: number; rows: number } | { ok: false; code: "UNKNOWN_PARTY" | "TAG_USED" }> {
  const known = await env.DB.prepare(
    `select (select count(*) from products where id = ?1) + (select count(*) from warehouses where id = ?2 and vendor_id = ?3) as n`,
  )
    .bind(input.productId, input.warehouseId, input.vendorId)
    .first<{ n: number }>();
  if (known?.n !== 2) return { ok: false, code: "UNKNOWN_PARTY" };
  const now = isoSeconds(new Date());
  const counted = Date.now() - input.rowsPerSku * 1000;
  const n = (name: string, count: string) =>
    `${name}(i) as (select 0 union all select i + 1 from ${name} where i < ${count} - 1)`;
  const sku = `'sku_br' || ?1 || '_' || s.i`;
  const written = env.DB.batch([
    env.DB.prepare(
      `with recursive ${n("s", "?2")} insert into skus (id, vendor_id, product_id, code, title, price_minor, currency, barcode, low_stock_threshold, created_at, updated_at)
       select ${sku}, ?3, ?4, 'BR-' || ?1 || '-' || s.i, 'Bridge bench ' || s.i, 19900, 'INR', '29' || ?1 || s.i, 0, ?5, ?5 from s`,
    ).bind(input.tag, input.skus, input.vendorId, input.productId, now),
    env.DB.prepare(
      `with recursive ${n("s", "?2")}, ${n("r", "?3")}
       insert into bridge_rows (vendor_id, sku_id, warehouse_id, kind, qty, counted_at, reason, received_at)
       select ?4, ${sku}, ?5,
         case when r.i % 10 = 0 then 'count' else 'delta' end,
         case when r.i % 10 = 0 then 500 + r.i when r.i % 2 = 0 then -1 else 1 end,
         case when r.i % 10 = 0 then ?6 + r.i * 1000 end,
         case when r.i % 10 = 0 then null when r.i % 2 = 0 then 'damage' else 'restock' end,
         ?7
       from s, r order by r.i, s.i`,
    ).bind(input.tag, input.skus, input.rowsPerSku, input.vendorId, input.warehouseId, counted, now),
  ]);
  try {
    await written;
  } catch (err) {
    if (uniqueViolation(err)?.table === "skus") return { ok: false, code: "TAG_USED" };
    throw err;
  }
  return { ok: true, skus: input.skus, rows: input.skus * input.rowsPerSku };
}

/** How far the vendor's rows are, and the most D1 queries any reconcile page since `since` spent. */
export async function bridgeBenchProgress(env: Env, vendorId: string, since: number) {
  const [rows, runs] = await env.DB.batch<Record<string, number | null>>([
    env.DB.prepare(
      "select sum(status = 'staged') as staged, sum(status = 'applied') as applied from bridge_rows where vendor_id = ?",
    ).bind(vendorId),
    env.DB.prepare(
      "select count(*) as pages, max(queries) as maxQueries, max(rows) as maxRows, max(skus) as maxSkus, max(finished_at) as lastFinishedAt from bridge_runs where started_at >= ? and rows > 0",
    ).bind(since),
  ]);
  return { ...rows!.results[0], ...runs!.results[0] } as {
    staged: number | null;
    applied: number | null;
    pages: number;
    maxQueries: number | null;
    maxRows: number | null;
    maxSkus: number | null;
    lastFinishedAt: number | null;
  };
}
