import { and, eq } from "drizzle-orm";
import type { Sku } from "../contracts/catalog";
import type { Db } from "./client";
import { uniqueViolation } from "./constraints";
import { type After, afterKey, keyOrder, toPage } from "./paging";
import { skus, vendors } from "./schema";
import { vendorSells } from "./vendor-live";

type SkuRow = typeof skus.$inferSelect;

export type SkuChanges = Partial<
  Pick<Sku, "title" | "price" | "barcode" | "lowStockThreshold" | "weightGrams" | "status" | "saleMaxUnitsPerCustomer">
>;

/** A write refused by UNIQUE(vendor_id, code) or UNIQUE(vendor_id, barcode). */
export type SkuWrite = { ok: true; sku: Sku } | { ok: false; code: "DUPLICATE"; field: "code" | "barcode" };

export function toSku(r: SkuRow): Sku {
  return {
    id: r.id,
    vendorId: r.vendorId,
    productId: r.productId,
    code: r.code,
    title: r.title,
    price: { amountMinor: r.priceMinor, currency: r.currency },
    barcode: r.barcode,
    lowStockThreshold: r.lowStockThreshold,
    weightGrams: r.weightGrams,
    saleMaxUnitsPerCustomer: r.saleMaxUnitsPerCustomer,
    status: r.status,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** Which per-vendor unique index, (vendor, code) or (vendor, barcode), refused a write. */
function duplicateField(err: unknown): "code" | "barcode" | null {
  const v = uniqueViolation(err);
  if (v?.table !== "skus") return null;
  return v.columns.includes("code") ? "code" : v.columns.includes("barcode") ? "barcode" : null;
}

async function writing(write: () => Promise<SkuRow | undefined>): Promise<SkuWrite | null> {
  try {
    const row = await write();
    return row ? { ok: true, sku: toSku(row) } : null;
  } catch (err) {
    const field = duplicateField(err);
    if (field) return { ok: false, code: "DUPLICATE", field };
    throw err;
  }
}

export async function insertSku(db: Db, sku: Sku): Promise<SkuWrite> {
  const { price, ...rest } = sku;
  const written = await writing(() =>
    db
      .insert(skus)
      .values({ ...rest, priceMinor: price.amountMinor, currency: price.currency })
      .returning()
      .get(),
  );
  if (!written) throw new Error("INSERT ... RETURNING gave no row");
  return written;
}

export async function findSku(db: Db, id: string): Promise<Sku | null> {
  const row = await db.select().from(skus).where(eq(skus.id, id)).get();
  return row ? toSku(row) : null;
}

/** Whether a SKU is on sale, as the catalog lists it: active, of a vendor that sells. */
export async function skuOnSale(db: Db, id: string): Promise<boolean> {
  const row = await db
    .select({ id: skus.id })
    .from(skus)
    .innerJoin(vendors, eq(vendors.id, skus.vendorId))
    .where(and(eq(skus.id, id), eq(skus.status, "active"), vendorSells))
    .get();
  return row !== undefined;
}

/** By title, then id. */
export async function listSkus(
  db: Db,
  q: { limit: number; after: After | undefined; vendorId?: string; productId?: string; status?: Sku["status"] },
) {
  const rows = await db
    .select()
    .from(skus)
    .where(
      and(
        q.vendorId ? eq(skus.vendorId, q.vendorId) : undefined,
        q.productId ? eq(skus.productId, q.productId) : undefined,
        q.status ? eq(skus.status, q.status) : undefined,
        afterKey(skus.title, skus.id, q.after),
      ),
    )
    .orderBy(...keyOrder(skus.title, skus.id))
    .limit(q.limit + 1)
    .all();
  return toPage(rows, q.limit, (r) => ({ key: r.title, id: r.id }), toSku);
}

/** null when there is no such SKU. */
export function updateSku(db: Db, id: string, changes: SkuChanges, updatedAt: string): Promise<SkuWrite | null> {
  const { price, ...rest } = changes;
  const set = { ...rest, ...(price ? { priceMinor: price.amountMinor, currency: price.currency } : {}), updatedAt };
  return writing(() => db.update(skus).set(set).where(eq(skus.id, id)).returning().get());
}
