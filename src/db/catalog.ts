import { and, eq, or, sql } from "drizzle-orm";
import type { CatalogItem } from "../contracts/catalog";
import type { Db } from "./client";
import { type After, afterKey, contains, keyOrder, toPage } from "./paging";
import { products, skus, stockLevels, vendors, warehouses } from "./schema";

/**
 * The public catalog: active SKUs of active vendors, by title then id. `available` sums the
 * D1 stock mirror over the vendor's active warehouses (checkout never routes to an inactive
 * one), so it trails the SkuStock objects by their flush interval; 0 when nothing is mirrored.
 * `search` matches the SKU's or its product's title anywhere, or the barcode or vendor code exactly.
 */
export async function listCatalog(
  db: Db,
  q: { limit: number; after: After | undefined; search?: string; vendorId?: string; productId?: string },
) {
  const available = sql<number>`coalesce((
    select sum(${stockLevels.available}) from ${stockLevels}
    join ${warehouses} on ${warehouses.id} = ${stockLevels.warehouseId}
    where ${stockLevels.skuId} = ${skus.id} and ${warehouses.status} = 'active'
  ), 0)`.mapWith(Number);
  const rows = await db
    .select({
      skuId: skus.id,
      vendorId: skus.vendorId,
      vendorName: vendors.name,
      productId: skus.productId,
      title: skus.title,
      priceMinor: skus.priceMinor,
      currency: skus.currency,
      barcode: skus.barcode,
      available,
    })
    .from(skus)
    .innerJoin(vendors, eq(vendors.id, skus.vendorId))
    .innerJoin(products, eq(products.id, skus.productId))
    .where(
      and(
        eq(skus.status, "active"),
        eq(vendors.status, "active"),
        q.vendorId ? eq(skus.vendorId, q.vendorId) : undefined,
        q.productId ? eq(skus.productId, q.productId) : undefined,
        q.search
          ? or(
              contains(skus.title, q.search),
              contains(products.title, q.search),
              eq(skus.barcode, q.search),
              eq(skus.code, q.search),
            )
          : undefined,
        afterKey(skus.title, skus.id, q.after),
      ),
    )
    .orderBy(...keyOrder(skus.title, skus.id))
    .limit(q.limit + 1)
    .all();
  return toPage(
    rows,
    q.limit,
    (r) => ({ key: r.title, id: r.skuId }),
    (r): CatalogItem => ({
      skuId: r.skuId,
      vendorId: r.vendorId,
      vendorName: r.vendorName,
      productId: r.productId,
      title: r.title,
      price: { amountMinor: r.priceMinor, currency: r.currency },
      barcode: r.barcode,
      available: r.available,
    }),
  );
}
