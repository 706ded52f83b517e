import { and, eq } from "drizzle-orm";
import type { Product } from "../contracts/catalog";
import type { Db } from "./client";
import { type After, afterKey, contains, keyOrder, toPage } from "./paging";
import { products } from "./schema";

export async function insertProduct(db: Db, product: Product): Promise<Product> {
  return await db.insert(products).values(product).returning().get();
}

export async function findProduct(db: Db, id: string): Promise<Product | null> {
  return (await db.select().from(products).where(eq(products.id, id)).get()) ?? null;
}

/** By title, then id; `search` matches anywhere in the title. */
export async function listProducts(db: Db, q: { limit: number; after: After | undefined; search?: string }) {
  const rows = await db
    .select()
    .from(products)
    .where(
      and(q.search ? contains(products.title, q.search) : undefined, afterKey(products.title, products.id, q.after)),
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
