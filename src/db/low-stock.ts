import { and, eq, sql } from "drizzle-orm";
import type { Db } from "./client";
import { lowStockAlerts, rollupSkuDays, rollupState, skus, stockLevels, warehouses } from "./schema";

/**
 * Low-stock alerts over the stock mirror, in one batch of set-based statements however large the
 * catalog: (SKU, warehouse) pairs back above their SKU's threshold, or in a closed warehouse, are
 * re-armed; pairs of open warehouses at or below it that are not already low become low with this run's time as their crossing, and each such
 * crossing queues one message to the vendor and one to ops, keyed by the crossing, so a run that
 * repeats (or races) this one queues nothing more. A threshold of 0 means no alert.
 */
export async function checkLowStock(
  db: Db,
  w: { at: string; whatsapp: boolean; email: boolean },
): Promise<{ crossed: number; rearmed: number }> {
  const d1 = db.$client;
  // A closed warehouse's units are not for sale: it is never low, and is re-armed for when it reopens.
  const open = "join warehouses o on o.id = l.warehouse_id and o.status = 'active'";
  const pair = "l.sku_id = low_stock_alerts.sku_id and l.warehouse_id = low_stock_alerts.warehouse_id";
  const text = `'Low stock: ' || k.code || ' (' || k.title || ') at ' || w.name || ': ' || a.available || ' available, threshold ' || a.threshold`;
  const payload = `json_object('params', json_object('skuId', a.sku_id, 'code', k.code, 'warehouseId', a.warehouse_id, 'warehouse', w.name, 'available', a.available, 'threshold', a.threshold), 'text', ${text})`;
  const crossedNow = `from low_stock_alerts a join skus k on k.id = a.sku_id join warehouses w on w.id = a.warehouse_id
    join vendors v on v.id = a.vendor_id where a.state = 'low' and a.crossed_at = ?1`;
  const [rearmed, crossed] = await d1.batch([
    d1
      .prepare(
        `update low_stock_alerts set state = 'ok', updated_at = ?1,
           available = (select l.available from stock_levels l where ${pair})
         where state = 'low' and not exists (
           select 1 from stock_levels l join skus k on k.id = l.sku_id ${open}
           where ${pair} and k.low_stock_threshold > 0 and l.available <= k.low_stock_threshold)`,
      )
      .bind(w.at),
    d1
      .prepare(
        `insert into low_stock_alerts (sku_id, warehouse_id, vendor_id, state, available, threshold, crossed_at, updated_at)
         select l.sku_id, l.warehouse_id, k.vendor_id, 'low', l.available, k.low_stock_threshold, ?1, ?1
         from stock_levels l join skus k on k.id = l.sku_id ${open}
         left join low_stock_alerts a on a.sku_id = l.sku_id and a.warehouse_id = l.warehouse_id
         where k.low_stock_threshold > 0 and l.available <= k.low_stock_threshold and coalesce(a.state, 'ok') = 'ok'
         on conflict (sku_id, warehouse_id) do update set state = 'low', available = excluded.available,
           threshold = excluded.threshold, crossed_at = excluded.crossed_at, updated_at = excluded.updated_at`,
      )
      .bind(w.at),
    // The vendor hears as other vendor messages go (notifications/outbox.ts): WhatsApp, else email, else recorded.
    d1
      .prepare(
        `insert into notifications (id, vendor_id, thread_key, channel, recipient, template, priority, payload, dedupe_key, created_at)
         select 'ntf_' || lower(hex(randomblob(12))), a.vendor_id, 'low-stock:' || a.vendor_id,
           case when ?2 and v.contact_phone is not null then 'whatsapp' when ?3 and v.contact_email is not null then 'email' else 'local' end,
           case when ?2 and v.contact_phone is not null then v.contact_phone when ?3 and v.contact_email is not null then v.contact_email
             else coalesce(v.contact_phone, v.contact_email, 'vendor:' || a.vendor_id) end,
           'low_stock', 3, ${payload}, 'low_stock:' || a.sku_id || ':' || a.warehouse_id || ':' || a.crossed_at || ':vendor', ?1
         ${crossedNow} on conflict do nothing`,
      )
      .bind(w.at, w.whatsapp ? 1 : 0, w.email ? 1 : 0),
    d1
      .prepare(
        `insert into notifications (id, thread_key, channel, recipient, template, priority, payload, dedupe_key, created_at)
         select 'ntf_' || lower(hex(randomblob(12))), 'low-stock:ops', 'local', 'ops', 'low_stock', 3, ${payload},
           'low_stock:' || a.sku_id || ':' || a.warehouse_id || ':' || a.crossed_at || ':ops', ?1
         ${crossedNow} on conflict do nothing`,
      )
      .bind(w.at),
  ]);
  return { crossed: crossed?.meta.changes ?? 0, rearmed: rearmed?.meta.changes ?? 0 };
}

export async function setLeadTime(db: Db, skuId: string, leadTimeDays: number, at: string) {
  return db
    .update(skus)
    .set({ leadTimeDays, updatedAt: at })
    .where(eq(skus.id, skuId))
    .returning({ skuId: skus.id, leadTimeDays: skus.leadTimeDays })
    .get();
}

export async function skuOwner(db: Db, skuId: string) {
  return db.select({ vendorId: skus.vendorId }).from(skus).where(eq(skus.id, skuId)).get();
}

/**
 * What reorder suggestions are made of, for one vendor: its SKUs with stock summed over its open
 * warehouses (mirror), whether any warehouse is low, and units sold per SKU from the roll-ups over the window.
 */
export async function reorderFacts(db: Db, vendorId: string, window: { from: string; to: string }) {
  const [state, rows, sold] = await db.batch([
    db.select({ asOf: rollupState.asOf }).from(rollupState).where(eq(rollupState.id, 1)),
    db
      .select({
        skuId: skus.id,
        code: skus.code,
        title: skus.title,
        lowStockThreshold: skus.lowStockThreshold,
        leadTimeDays: skus.leadTimeDays,
        // A one-table select names its columns unqualified here: no join, so `id` stays the SKU's.
        available: sql<number>`coalesce((select sum(${stockLevels.available}) from ${stockLevels}
          where ${stockLevels.skuId} = ${skus.id} and ${stockLevels.warehouseId} in
            (select ${warehouses.id} from ${warehouses} where ${warehouses.status} = 'active')), 0)`,
        low: sql<number>`exists (select 1 from ${lowStockAlerts} where ${lowStockAlerts.skuId} = ${skus.id} and ${lowStockAlerts.state} = 'low')`,
      })
      .from(skus)
      .where(and(eq(skus.vendorId, vendorId), eq(skus.status, "active"))),
    db
      .select({ skuId: rollupSkuDays.skuId, units: sql<number>`sum(${rollupSkuDays.units})` })
      .from(rollupSkuDays)
      .where(
        and(eq(rollupSkuDays.vendorId, vendorId), sql`${rollupSkuDays.day} between ${window.from} and ${window.to}`),
      )
      .groupBy(rollupSkuDays.skuId),
  ]);
  return { asOf: state[0]?.asOf ?? null, skus: rows, sold: new Map(sold.map((s) => [s.skuId, Number(s.units)])) };
}
