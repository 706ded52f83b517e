import { batchNamed } from "./batch";
import { chunks, rowsPerInsert } from "./chunks";
import type { Db } from "./client";
import type { LineItemRow, OrderEventRow, OrderRow, PaymentRow, SubOrderRow } from "./orders";
import { insertRoutingDecision } from "./routing";
import { idempotencyKeys, lineItems, orderEvents, orders, outbox, payments, subOrders } from "./schema";

export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

/** Everything checkout writes for one new order. */
export type PlacedOrder = {
  idempotency: IdempotencyRow;
  order: OrderRow;
  subOrders: SubOrderRow[];
  lines: LineItemRow[];
  payment: PaymentRow;
  events: Omit<OrderEventRow, "id">[];
  outbox: { type: string; orderId: string; payload: unknown; dedupeKey: string; createdAt: string };
  routing: { orderId: string; weightsVersion: number; explanation: unknown; createdAt: string };
};

/**
 * Writes a placed order in one batch, so it lands whole or not at all. The idempotency row goes
 * first: a concurrent duplicate collides there (or on the order id) and writes nothing. Returns
 * the outbox rows written, so they are dispatched without reading them back.
 */
export async function writePlacedOrder(db: Db, placed: PlacedOrder) {
  const written = await batchNamed(db, {
    idempotency: db.insert(idempotencyKeys).values(placed.idempotency),
    order: db.insert(orders).values(placed.order),
    // D1 binds at most 100 parameters a statement: a cart of many vendors or lines takes several.
    subOrders: chunks(placed.subOrders, rowsPerInsert(subOrders)).map((rows) => db.insert(subOrders).values(rows)),
    lines: chunks(placed.lines, rowsPerInsert(lineItems)).map((rows) => db.insert(lineItems).values(rows)),
    payment: db.insert(payments).values(placed.payment),
    events: db.insert(orderEvents).values(placed.events),
    outbox: db.insert(outbox).values(placed.outbox).returning(),
    routing: insertRoutingDecision(db, placed.routing),
  });
  return written.outbox;
}
