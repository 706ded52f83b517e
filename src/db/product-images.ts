import { and, asc, eq, inArray } from "drizzle-orm";
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

/** Inserts the photo; undefined, and nothing written, when the product already has one of these bytes. */
export async function insertProductImage(db: Db, row: ImageRow): Promise<ProductImage | undefined> {
  const inserted = await db
    .insert(productImages)
    .values(row)
    .onConflictDoNothing({ target: [productImages.productId, productImages.contentSha256] })
    .returning({ id: productImages.id });
  return inserted.length === 1 ? toImage(row) : undefined;
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

/** The first `per` photos of each product, oldest first, for a page of catalog cards. */
export async function imagesOfProducts(db: Db, productIds: string[], per: number): Promise<Map<string, ImageUrls[]>> {
  const rows = await selectIn(db, productIds, (c) =>
    db
      .select({ id: productImages.id, productId: productImages.productId, createdAt: productImages.createdAt })
      .from(productImages)
      .where(inArray(productImages.productId, c))
      .orderBy(asc(productImages.createdAt), asc(productImages.id)),
  );
  const out = new Map<string, ImageUrls[]>();
  for (const r of rows) {
    const list = out.get(r.productId) ?? [];
    if (list.length < per) list.push(urlsOf(r.id));
    out.set(r.productId, list);
  }
  return out;
}
