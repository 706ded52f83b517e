import { type Column, count, countDistinct, eq, inArray, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { selectIn } from "./chunks";
import type { Db } from "./client";
import { lineItems, orders, subOrders } from "./schema";

/**
 * How big the order an id acts on is: what a bulk action's D1 queries and subrequests grow with.
 * `skus` are the order's distinct SKUs; `ownSkus` those of the sub-order itself (sub-order ids only).
 */
export type OrderSize = { subOrders: number; skus: number; ownSkus: number };

// Aliased, so each subquery names its own table and the outer one apart: a lone table's columns
// render unqualified.
const sibling = alias(subOrders, "sibling");
const line = alias(lineItems, "line");
const siblingsOf = (db: Db, orderId: Column) =>
  sql<number>`(${db.select({ n: count() }).from(sibling).where(eq(sibling.orderId, orderId))})`;
const skusOf = (db: Db, column: Column, id: Column) =>
  sql<number>`(${db
    .select({ n: countDistinct(line.skuId) })
    .from(line)
    .where(eq(column, id))})`;

/** Each order's size, in one statement (per 90 ids); an id that names no order is absent. */
export async function sizesOfOrders(db: Db, orderIds: readonly string[]): Promise<Map<string, OrderSize>> {
  const order = alias(orders, "o");
  const rows = await selectIn(db, orderIds, (ids) =>
    db
      .select({ id: order.id, subOrders: siblingsOf(db, order.id), skus: skusOf(db, line.orderId, order.id) })
      .from(order)
      .where(inArray(order.id, ids)),
  );
  return new Map(rows.map(({ id, ...size }) => [id, { ...size, ownSkus: 0 }]));
}

/** Each sub-order's size and its order's, in one statement (per 90 ids); an unknown id is absent. */
export async function sizesOfSubOrders(db: Db, subOrderIds: readonly string[]): Promise<Map<string, OrderSize>> {
  const sub = alias(subOrders, "s");
  const rows = await selectIn(db, subOrderIds, (ids) =>
    db
      .select({
        id: sub.id,
        subOrders: siblingsOf(db, sub.orderId),
        skus: skusOf(db, line.orderId, sub.orderId),
        ownSkus: skusOf(db, line.subOrderId, sub.id),
      })
      .from(sub)
      .where(inArray(sub.id, ids)),
  );
  return new Map(rows.map(({ id, ...size }) => [id, size]));
}
