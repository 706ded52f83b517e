import { and, eq, inArray, or, sql } from "drizzle-orm";
import type { CatalogItem, CatalogProduct } from "../contracts/catalog";
import type { Db } from "./client";
import { type After, afterKey, contains, keyOrder, toPage } from "./paging";
import { imagesOfProducts } from "./product-images";
import { products, skus, stockLevels, vendors, warehouses } from "./schema";
import { vendorSells } from "./vendor-live";

/**
 * The public catalog: active SKUs of active vendors, by title then id. `available` sums the
 * D1 stock mirror over the vendor's active warehouses (checkout never routes to an inactive
 * one), so it trails the SkuStock objects by their flush interval; 0 when nothing is mirrored.
 * `search` matches the SKU's or its product's title anywhere, or the barcode or vendor code exactly.
 */
/** Units available of the SKU in scope, over its vendor's active warehouses, from the mirror. */
const skuAvailable = sql`coalesce((
    select sum(${stockLevels.available}) from ${stockLevels}
    join ${warehouses} on ${warehouses.id} = ${stockLevels.warehouseId}
    where ${stockLevels.skuId} = ${skus.id} and ${warehouses.status} = 'active'
  ), 0)`;

/**
 * Whether the SKU in scope has a unit available in an active warehouse, from the mirror. EXISTS
 * stops at the first such row of the (sku_id, warehouse_id) primary key: evaluated per offer row
 * of a page, it adds a bounded index probe per figure that uses it.
 */
const skuInStock = sql`exists (
    select 1 from ${stockLevels}
    join ${warehouses} on ${warehouses.id} = ${stockLevels.warehouseId}
    where ${stockLevels.skuId} = ${skus.id} and ${warehouses.status} = 'active' and ${stockLevels.available} > 0
  )`;

/**
 * The public catalog by product, by title then id: one row per product with an active offer of an
 * active vendor, its price range, how many sellers and offers, and the units available over them
 * all. The price range and seller count are over the offers with stock (by the mirror), as a
 * shopper can only be sold those and routing picks among them; over all active offers when none
 * has any, so an out-of-stock product still shows its prices. `search` picks products whose title,
 * or any active offer's title, barcode or code, matches (as `listCatalog`); the figures are still
 * over all the product's offers. One grouped query. Prices are in the offers' currency: the
 * catalogue sells in one.
 */
/** Photos a catalog card carries. */
const CARD_IMAGES = 4;

export async function listCatalogProducts(db: Db, q: { limit: number; after: After | undefined; search?: string }) {
  const matching = q.search
    ? or(
        contains(products.title, q.search),
        inArray(
          products.id,
          db
            .select({ id: skus.productId })
            .from(skus)
            // Only offers that sell: a suspended or unapproved vendor's titles and codes find nothing.
            .innerJoin(vendors, eq(vendors.id, skus.vendorId))
            .where(
              and(
                eq(skus.status, "active"),
                vendorSells,
                or(contains(skus.title, q.search), eq(skus.barcode, q.search), eq(skus.code, q.search)),
              ),
            ),
        ),
      )
    : undefined;
  const rows = await db
    .select({
      productId: products.id,
      title: products.title,
      minPriceMinor: sql<number>`coalesce(
        min(case when ${skuInStock} then ${skus.priceMinor} end), min(${skus.priceMinor})
      )`.mapWith(Number),
      maxPriceMinor: sql<number>`coalesce(
        max(case when ${skuInStock} then ${skus.priceMinor} end), max(${skus.priceMinor})
      )`.mapWith(Number),
      currency: sql<string>`max(${skus.currency})`,
      sellers: sql<number>`coalesce(
        nullif(count(distinct case when ${skuInStock} then ${skus.vendorId} end), 0),
        count(distinct ${skus.vendorId})
      )`.mapWith(Number),
      offers: sql<number>`count(*)`.mapWith(Number),
      // One item, as checkout decides (domain/routing/candidates.ts `oneItem`): no vendor lists the
      // product as more than one SKU (of any status), or every offer carries the same GTIN.
      oneItem: sql<number>`(
        (select count(*) from ${skus} s where s.product_id = ${products.id})
          = (select count(distinct s.vendor_id) from ${skus} s where s.product_id = ${products.id})
        or count(distinct ${skus.barcode}) = 1
      )`.mapWith(Number),
      available: sql<number>`sum(${skuAvailable})`.mapWith(Number),
    })
    .from(products)
    .innerJoin(skus, eq(skus.productId, products.id))
    .innerJoin(vendors, eq(vendors.id, skus.vendorId))
    .where(and(eq(skus.status, "active"), vendorSells, matching, afterKey(products.title, products.id, q.after)))
    .groupBy(products.id)
    .orderBy(...keyOrder(products.title, products.id))
    .limit(q.limit + 1)
    .all();
  const images = await imagesOfProducts(
    db,
    rows.slice(0, q.limit).map((r) => r.productId),
    CARD_IMAGES,
  );
  return toPage(
    rows,
    q.limit,
    (r) => ({ key: r.title, id: r.productId }),
    (r): CatalogProduct => ({
      productId: r.productId,
      title: r.title,
      minPrice: { amountMinor: r.minPriceMinor, currency: r.currency },
      maxPrice: { amountMinor: r.maxPriceMinor, currency: r.currency },
      sellers: r.sellers,
      offers: r.offers,
      oneItem: r.oneItem === 1,
      available: r.available,
      images: images.get(r.productId) ?? [],
    }),
  );
}

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
        vendorSells,
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
