import { eq, inArray } from "drizzle-orm";
import { selectIn } from "./chunks";
import type { Db } from "./client";
import { skus, subOrders } from "./schema";

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

/** The vendor selling a SKU (whose feed sees its exact levels); null for an unknown SKU. */
export async function vendorOfSku(db: Db, skuId: string): Promise<string | null> {
  const row = await db.select({ vendorId: skus.vendorId }).from(skus).where(eq(skus.id, skuId)).get();
  return row?.vendorId ?? null;
}
