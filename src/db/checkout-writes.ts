import type { Background } from "../platform/background";
import { SharedLanes } from "../platform/shared-turns";
import type { Db } from "./client";
import type { LineItemRow, OrderEventRow, OrderRow, PaymentRow, SubOrderRow } from "./orders";
import type { idempotencyKeys } from "./schema";

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

// The order write as D1 statements rather than drizzle inserts: it runs once per accepted order and
// was the largest checkout step in the V8 profile (README, "Performance: where a checkout's time
// goes"), most of it drizzle building the inserts. The SQL is constant; every table's rows go in as
// one JSON parameter and are unpacked by json_each, so the orders placed at the same moment are one
// statement per table between them, and D1's 100-parameter limit never needs chunking. JSON columns
// (ship_to, data, payload, explanation) are bound as the JSON text drizzle would store.

const INSERT_IDEMPOTENCY = `insert into idempotency_keys
  (scope, "key", request_hash, response_status, response_body, created_at, expires_at)
  select value ->> 'scope', value ->> 'key', value ->> 'requestHash', value ->> 'responseStatus',
    value ->> 'responseBody', value ->> 'createdAt', value ->> 'expiresAt'
  from json_each(?1) order by key`;

const INSERT_ORDERS = `insert into orders
  (id, customer_id, status, payment_status, currency, total_minor, ship_to, ship_lat, ship_lng, hold_id,
   hold_expires_at, review_held, review_note, paid_at, created_at, updated_at)
  select value ->> 'id', value ->> 'customerId', value ->> 'status', value ->> 'paymentStatus',
    value ->> 'currency', value ->> 'totalMinor', value ->> 'shipTo', value ->> 'shipLat', value ->> 'shipLng',
    value ->> 'holdId', value ->> 'holdExpiresAt', value ->> 'reviewHeld', value ->> 'reviewNote',
    value ->> 'paidAt', value ->> 'createdAt', value ->> 'updatedAt'
  from json_each(?1) order by key`;

const INSERT_SUB_ORDERS = `insert into sub_orders
  (id, order_id, vendor_id, status, currency, subtotal_minor, shipping_minor, total_minor, commission_bps,
   commission_minor, sla_dispatch_by, promised_delivery_by, confirmed_at, packed_at, dispatched_at,
   delivered_at, returned_at, cancelled_at, nudged_at, photo_key, carrier, awb, cancellation_reason,
   created_at, updated_at)
  select value ->> 'id', value ->> 'orderId', value ->> 'vendorId', value ->> 'status', value ->> 'currency',
    value ->> 'subtotalMinor', value ->> 'shippingMinor', value ->> 'totalMinor', value ->> 'commissionBps',
    value ->> 'commissionMinor', value ->> 'slaDispatchBy', value ->> 'promisedDeliveryBy',
    value ->> 'confirmedAt', value ->> 'packedAt', value ->> 'dispatchedAt', value ->> 'deliveredAt',
    value ->> 'returnedAt', value ->> 'cancelledAt', value ->> 'nudgedAt', value ->> 'photoKey',
    value ->> 'carrier', value ->> 'awb', value ->> 'cancellationReason', value ->> 'createdAt',
    value ->> 'updatedAt'
  from json_each(?1) order by key`;

const INSERT_LINES = `insert into line_items
  (id, order_id, sub_order_id, line_index, product_id, returned_qty, sku_id, warehouse_id, qty,
   unit_price_minor, line_total_minor, currency)
  select value ->> 'id', value ->> 'orderId', value ->> 'subOrderId', value ->> 'lineIndex',
    value ->> 'productId', value ->> 'returnedQty', value ->> 'skuId', value ->> 'warehouseId',
    value ->> 'qty', value ->> 'unitPriceMinor', value ->> 'lineTotalMinor', value ->> 'currency'
  from json_each(?1) order by key`;

// In list order, so each order's timeline ids follow its list (placed before flagged).
const INSERT_EVENTS = `insert into order_events
  (order_id, sub_order_id, type, at, actor_role, actor_id, reason, data, dedupe_key)
  select value ->> 'orderId', value ->> 'subOrderId', value ->> 'type', value ->> 'at', value ->> 'actorRole',
    value ->> 'actorId', value ->> 'reason', value ->> 'data', value ->> 'dedupeKey'
  from json_each(?1) order by key`;

const INSERT_PAYMENTS = `insert into payments
  (id, order_id, provider, status, amount_minor, refunded_minor, currency, client_secret, charge_id,
   created_at, updated_at)
  select value ->> 'id', value ->> 'orderId', value ->> 'provider', value ->> 'status', value ->> 'amountMinor',
    value ->> 'refundedMinor', value ->> 'currency', value ->> 'clientSecret', value ->> 'chargeId',
    value ->> 'createdAt', value ->> 'updatedAt'
  from json_each(?1) order by key`;

const INSERT_OUTBOX = `insert into outbox (type, order_id, payload, dedupe_key, created_at)
  select value ->> 'type', value ->> 'orderId', value ->> 'payload', value ->> 'dedupeKey', value ->> 'createdAt'
  from json_each(?1) order by key
  returning id, dedupe_key as dedupeKey`;

const INSERT_ROUTING = `insert into routing_decisions (order_id, weights_version, explanation, created_at)
  select value ->> 'orderId', value ->> 'weightsVersion', value ->> 'explanation', value ->> 'createdAt'
  from json_each(?1) order by key
  on conflict do nothing`;

/**
 * At most this many rows in one shared write: a single order bigger than that goes alone. Keeps
 * each JSON parameter far below D1's 2 MB per value.
 */
export const SHARED_WRITE_MAX_ROWS = 256;

/** A JSON column's value as drizzle stores it: its JSON text, or NULL. */
const jsonText = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

// One idempotency, order, payment, outbox and routing row each, and the lists.
const rowCount = (o: PlacedOrder) => 5 + o.subOrders.length + o.lines.length + o.events.length;

/** Each insert, in batch order, with the rows it takes from one order. */
const INSERTS: [sql: string, rowsOf: (o: PlacedOrder) => unknown[]][] = [
  [INSERT_IDEMPOTENCY, (o) => [o.idempotency]],
  [INSERT_ORDERS, (o) => [{ ...o.order, shipTo: jsonText(o.order.shipTo) }]],
  [INSERT_SUB_ORDERS, (o) => o.subOrders],
  [INSERT_LINES, (o) => o.lines],
  [INSERT_PAYMENTS, (o) => [o.payment]],
  [INSERT_EVENTS, (o) => o.events.map((e) => ({ ...e, data: jsonText(e.data) }))],
  [INSERT_OUTBOX, (o) => [{ ...o.outbox, payload: jsonText(o.outbox.payload) }]],
  [INSERT_ROUTING, (o) => [{ ...o.routing, explanation: jsonText(o.routing.explanation) }]],
];
const OUTBOX_AT = INSERTS.findIndex(([sql]) => sql === INSERT_OUTBOX);

/** The orders' eight inserts as one batch; each order's outbox row ids, in the order of `orders`. */
async function writeOrders(d1: D1Database, orders: PlacedOrder[]): Promise<number[][]> {
  const results = await d1.batch(
    INSERTS.map(([sql, rowsOf]) => d1.prepare(sql).bind(JSON.stringify(orders.flatMap(rowsOf)))),
  );
  // RETURNING promises no row order: each row goes back to its order by its unique dedupe key.
  const byKey = new Map(
    (results[OUTBOX_AT]!.results as { id: number; dedupeKey: string }[]).map((row) => [row.dedupeKey, row.id]),
  );
  return orders.map((o) => [byKey.get(o.outbox.dedupeKey)!]);
}

// Orders placed at the same moment in this isolate go to D1 as one batch (platform/shared-turns):
// locally a D1 statement costs about the same whatever number of rows it carries.
const writes = new SharedLanes<D1Database, PlacedOrder, number[]>((d1) => ({
  // One batch is one transaction: a failure rolls all of it back, and each order is written again alone.
  together: (orders) => writeOrders(d1, orders),
  alone: async (order) => (await writeOrders(d1, [order]))[0]!,
  weight: rowCount,
  maxWeight: SHARED_WRITE_MAX_ROWS,
}));

/**
 * Writes a placed order in one batch, so it lands whole or not at all; orders placed at the same
 * moment share the batch and its statements, and each is durable in D1 before this returns. The
 * idempotency row goes first: a concurrent duplicate collides there (or on the order id) and writes
 * nothing. Returns the ids of the outbox rows written, for the dispatch to claim and send.
 */
export function writePlacedOrder(db: Db, placed: PlacedOrder, background?: Background): Promise<number[]> {
  return writes.call(db.$client, "checkout-writes", placed, background);
}
