import { and, eq, inArray } from "drizzle-orm";
import { selectIn } from "./chunks";
import type { Db } from "./client";
import { skus, subOrders, warehouses } from "./schema";

/** The sub-orders of these orders with their vendors: whose feeds an order event concerns. */
export async function subOrderVendors(
  db: Db,
  orderIds: readonly string[],
): Promise<{ id: string; orderId: string; vendorId: string }[]> {
  return selectIn(db, orderIds, (chunk) =>
    db
      .select({ id: subOrders.id, orderId: subOrders.orderId, vendorId: subOrders.vendorId })
      .from(subOrders)
      .where(inArray(subOrders.orderId, chunk)),
  );
}

/**
 * Who sells a SKU (whose feed sees its exact levels; null for an unknown SKU) and which of that
 * vendor's warehouses are closed: their units are not for sale, so storefronts do not count them.
 */
export async function sellerOfSku(
  db: Db,
  skuId: string,
): Promise<{ vendorId: string | null; closedWarehouseIds: Set<string> }> {
  const rows = await db
    .select({ vendorId: skus.vendorId, closed: warehouses.id })
    .from(skus)
    .leftJoin(warehouses, and(eq(warehouses.vendorId, skus.vendorId), eq(warehouses.status, "inactive")))
    .where(eq(skus.id, skuId));
  const closed = rows.flatMap((r) => (r.closed ? [r.closed] : []));
  return { vendorId: rows[0]?.vendorId ?? null, closedWarehouseIds: new Set(closed) };
}
