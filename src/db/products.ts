import { and, eq, sql } from "drizzle-orm";
import type { Product, UpdateProduct } from "../contracts/catalog";
import type { Db } from "./client";
import { type After, afterKey, contains, keyOrder, toPage } from "./paging";
import { products } from "./schema";
import { VENDOR_SELLING_STATUS_SQL } from "./vendor-live";

export async function insertProduct(db: Db, product: Product): Promise<Product> {
  return await db.insert(products).values(product).returning().get();
}

/** Changes the product's title or description; null when there is no such product. */
export async function updateProduct(db: Db, id: string, changes: UpdateProduct): Promise<Product | null> {
  const set = {
    ...(changes.title === undefined ? {} : { title: changes.title }),
    // An empty description is none, as on create.
    ...(changes.description === undefined ? {} : { description: changes.description || null }),
  };
  if (Object.keys(set).length === 0) return await findProduct(db, id);
  const row = await db.update(products).set(set).where(eq(products.id, id)).returning().get();
  return row ?? null;
}

/**
 * A product some vendor sells: an active SKU of a vendor that sells (active, and approved if it
 * onboarded itself). One made by a vendor still onboarding, or never approved, is not the public's.
 * Spelled out in SQL: inside a one-table select drizzle names columns without their table.
 */
const sold = sql.raw(
  `exists (select 1 from skus s join vendors on vendors.id = s.vendor_id where s.product_id = "products"."id" and s.status = 'active' and (${VENDOR_SELLING_STATUS_SQL}) = 'active')`,
);

/** `soldOnly`: as the public sees it. */
export async function findProduct(db: Db, id: string, opts: { soldOnly?: boolean } = {}): Promise<Product | null> {
  const row = await db
    .select()
    .from(products)
    .where(and(eq(products.id, id), opts.soldOnly ? sold : undefined))
    .get();
  return row ?? null;
}

/** By title, then id; `search` matches anywhere in the title; `soldOnly`: as the public sees them. */
export async function listProducts(
  db: Db,
  q: { limit: number; after: After | undefined; search?: string; soldOnly?: boolean },
) {
  const rows = await db
    .select()
    .from(products)
    .where(
      and(
        q.search ? contains(products.title, q.search) : undefined,
        afterKey(products.title, products.id, q.after),
        q.soldOnly ? sold : undefined,
      ),
    )
    .orderBy(...keyOrder(products.title, products.id))
    .limit(q.limit + 1)
    .all();
  return toPage(
    rows,
    q.limit,
    (r) => ({ key: r.title, id: r.id }),
    (r) => r,
  );
}
