import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import type { ImageUrls } from "../contracts/catalog";
import { imageUrl, type ProductImage } from "../contracts/product-imports";
import { selectIn } from "./chunks";
import type { Db } from "./client";
import { productImages, skus, vendors } from "./schema";
import { vendorSells } from "./vendor-live";

type ImageRow = typeof productImages.$inferSelect;

export const urlsOf = (imageId: string): ImageUrls => ({
  thumb: imageUrl(imageId, "thumb"),
  medium: imageUrl(imageId, "medium"),
});

function toImage(r: ImageRow): ProductImage {
  return {
    id: r.id,
    productId: r.productId,
    width: r.width,
    height: r.height,
    urls: urlsOf(r.id),
    createdAt: r.createdAt,
  };
}

/**
 * Whether the vendor sells the product: a live offer of it (an active SKU of a vendor that sells, as
 * the catalog lists offers). Only its sellers may add photos to a shared product's public card; an
 * offer nobody can buy (a draft vendor's, a paused SKU) earns no say over it.
 */
export async function vendorOffersProduct(db: Db, vendorId: string, productId: string): Promise<boolean> {
  const row = await db
    .select({ id: skus.id })
    .from(skus)
    .innerJoin(vendors, eq(vendors.id, skus.vendorId))
    .where(and(eq(skus.vendorId, vendorId), eq(skus.productId, productId), eq(skus.status, "active"), vendorSells))
    .limit(1)
    .get();
  return row !== undefined;
}

/** The product's photo of these bytes, if it has one (`contentSha256`: see the schema). */
export async function productImageOfContent(
  db: Db,
  productId: string,
  contentSha256: string,
): Promise<ProductImage | undefined> {
  const row = await db
    .select()
    .from(productImages)
    .where(and(eq(productImages.productId, productId), eq(productImages.contentSha256, contentSha256)))
    .get();
  return row && toImage(row);
}

/**
 * Inserts the photo while its product has fewer than `maxPerProduct`; undefined, and nothing written,
 * when the product already has one of these bytes or is full. The count and the insert are one
 * statement (D1 runs statements one at a time), so two uploads at once cannot both take the last place.
 * Spelled out in SQL: drizzle's insert takes no `where` over a select of values.
 */
export async function insertProductImage(
  db: Db,
  row: ImageRow,
  maxPerProduct: number,
): Promise<ProductImage | undefined> {
  const inserted = await db.all<{ id: string }>(sql`insert into "product_images"
      ("id", "product_id", "vendor_id", "width", "height", "content_sha256", "created_at")
    select ${row.id}, ${row.productId}, ${row.vendorId}, ${row.width}, ${row.height}, ${row.contentSha256}, ${row.createdAt}
    where (select count(*) from "product_images" where "product_id" = ${row.productId}) < ${maxPerProduct}
    on conflict ("product_id", "content_sha256") do nothing
    returning "id"`);
  return inserted.length === 1 ? toImage(row) : undefined;
}

/** How many photos the product has. */
export async function imageCountOf(db: Db, productId: string): Promise<number> {
  const row = await db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(productImages)
    .where(eq(productImages.productId, productId))
    .get();
  return row?.n ?? 0;
}

/** The product's photo `imageId` with who added it (`vendorId`, null for an admin's). */
export async function productImageOf(
  db: Db,
  productId: string,
  imageId: string,
): Promise<{ id: string; vendorId: string | null } | undefined> {
  return await db
    .select({ id: productImages.id, vendorId: productImages.vendorId })
    .from(productImages)
    .where(and(eq(productImages.id, imageId), eq(productImages.productId, productId)))
    .get();
}

/** Deletes the photo's row; whether there was one to delete. */
export async function deleteProductImage(db: Db, imageId: string): Promise<boolean> {
  const deleted = await db
    .delete(productImages)
    .where(eq(productImages.id, imageId))
    .returning({ id: productImages.id });
  return deleted.length === 1;
}

export async function imageExists(db: Db, imageId: string): Promise<boolean> {
  return (
    (await db.select({ id: productImages.id }).from(productImages).where(eq(productImages.id, imageId)).get()) !==
    undefined
  );
}

/** A product's photos, oldest first. */
export async function productImagesOf(db: Db, productId: string): Promise<ProductImage[]> {
  const rows = await db
    .select()
    .from(productImages)
    .where(eq(productImages.productId, productId))
    .orderBy(asc(productImages.createdAt), asc(productImages.id))
    .limit(50)
    .all();
  return rows.map(toImage);
}

/**
 * The first `per` photos of each product, oldest first, for a page of catalog cards. Ranked in SQL
 * (the `product_images_product` index walks each product's photos in that order), so a product with
 * many photos costs `per` rows, not all of them.
 */
export async function imagesOfProducts(db: Db, productIds: string[], per: number): Promise<Map<string, ImageUrls[]>> {
  const rows = await selectIn(db, productIds, (c) => {
    const ranked = db
      .select({
        id: productImages.id,
        productId: productImages.productId,
        rank: sql<number>`row_number() over (partition by ${productImages.productId} order by ${productImages.createdAt}, ${productImages.id})`.as(
          "rank",
        ),
      })
      .from(productImages)
      .where(inArray(productImages.productId, c))
      .as("ranked");
    return db
      .select({ id: ranked.id, productId: ranked.productId })
      .from(ranked)
      .where(lte(ranked.rank, per))
      .orderBy(asc(ranked.productId), asc(ranked.rank));
  });
  const out = new Map<string, ImageUrls[]>();
  for (const r of rows) {
    const list = out.get(r.productId) ?? [];
    list.push(urlsOf(r.id));
    out.set(r.productId, list);
  }
  return out;
}
