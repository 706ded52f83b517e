import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "./client";
import { carriers, orders, skus, subOrders } from "./schema";

export async function findSubOrder(db: Db, id: string) {
  return db.select().from(subOrders).where(eq(subOrders.id, id)).get();
}

export async function barcodesOf(db: Db, skuIds: string[]) {
  const rows = await db.select({ id: skus.id, barcode: skus.barcode }).from(skus).where(inArray(skus.id, skuIds));
  return new Map(rows.map((r) => [r.id, r.barcode]));
}

export async function findCarrier(db: Db, code: string) {
  return db.select().from(carriers).where(eq(carriers.code, code)).get();
}

export async function listCarriers(db: Db) {
  return db.select().from(carriers).where(eq(carriers.active, true)).orderBy(asc(carriers.name));
}

/** A vendor's queue, newest first, keyset over (created_at, id); orders held for review are hidden from vendors. */
export async function listSubOrders(
  db: Db,
  f: { vendorId?: string; status?: string; hideHeld: boolean; after?: [string, string]; limit: number },
) {
  const rows = await db
    .select({ sub: subOrders })
    .from(subOrders)
    .innerJoin(orders, eq(orders.id, subOrders.orderId))
    .where(
      and(
        f.vendorId ? eq(subOrders.vendorId, f.vendorId) : undefined,
        f.status ? eq(subOrders.status, f.status) : undefined,
        f.hideHeld ? eq(orders.reviewHeld, false) : undefined,
        f.after ? sql`(${subOrders.createdAt}, ${subOrders.id}) < (${f.after[0]}, ${f.after[1]})` : undefined,
      ),
    )
    .orderBy(desc(subOrders.createdAt), desc(subOrders.id))
    .limit(f.limit + 1);
  return { rows: rows.slice(0, f.limit).map((r) => r.sub), hasMore: rows.length > f.limit };
}

export async function findByAwb(db: Db, carrier: string, awb: string) {
  return db
    .select({ id: subOrders.id })
    .from(subOrders)
    .where(and(eq(subOrders.carrier, carrier), eq(subOrders.awb, awb)))
    .get();
}
