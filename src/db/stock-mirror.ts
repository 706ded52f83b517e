/**
 * D1 `stock_levels`: the eventually consistent copy of every stock object's levels, for catalog
 * reads and analytics. Written only by the stock objects' coalesced flush.
 */
import { and, eq, gt } from "drizzle-orm";
import type { Db } from "./client";
import { stockLevels } from "./schema";

export type MirroredLevel = {
  warehouseId: string;
  onHand: number;
  available: number;
  held: number;
  committed: number;
};

/**
 * Upserts every warehouse row of one SKU in one batch. The version guard keeps an older snapshot
 * from overwriting a newer one if two flushes ever race.
 */
export async function mirrorStockLevels(
  d1: D1Database,
  snapshot: { skuId: string; version: number; warehouses: readonly MirroredLevel[] },
  updatedAt: string,
): Promise<void> {
  if (snapshot.warehouses.length === 0) return;
  const upsert = d1.prepare(
    `INSERT INTO stock_levels (sku_id, warehouse_id, on_hand, available, held, committed, version, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (sku_id, warehouse_id) DO UPDATE SET
       on_hand = excluded.on_hand, available = excluded.available, held = excluded.held,
       committed = excluded.committed, version = excluded.version, updated_at = excluded.updated_at
     WHERE excluded.version > stock_levels.version`,
  );
  await d1.batch(
    snapshot.warehouses.map((w) =>
      upsert.bind(
        snapshot.skuId,
        w.warehouseId,
        w.onHand,
        w.available,
        w.held,
        w.committed,
        snapshot.version,
        updatedAt,
      ),
    ),
  );
}

/** A page of the SKUs with a level in one warehouse, by id after `after`. */
export async function skusStockedAt(db: Db, warehouseId: string, after: string, limit: number): Promise<string[]> {
  const rows = await db
    .select({ skuId: stockLevels.skuId })
    .from(stockLevels)
    .where(and(eq(stockLevels.warehouseId, warehouseId), gt(stockLevels.skuId, after)))
    .orderBy(stockLevels.skuId)
    .limit(limit);
  return rows.map((r) => r.skuId);
}
