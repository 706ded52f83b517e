import type { Background } from "../platform/background";
import type { Db } from "./client";
import type { LineItemRow, OrderEventRow, OrderRow, PaymentRow, SubOrderRow } from "./orders";
import type { OutboxRow } from "./outbox";
import type { idempotencyKeys } from "./schema";
import { sharedBatch } from "./shared-batch";

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
// goes"), most of it drizzle building the inserts. The SQL is constant; the rows of the lists
// (sub-orders, lines, events) go in as one JSON parameter each and are unpacked by json_each, so a
// cart of any size is one statement per table and D1's 100-parameter limit never needs chunking.
// JSON columns (ship_to, data, payload, explanation) are bound as the JSON text drizzle would store.

const INSERT_IDEMPOTENCY = `insert into idempotency_keys
  (scope, "key", request_hash, response_status, response_body, created_at, expires_at)
  values (?1, ?2, ?3, ?4, ?5, ?6, ?7)`;

const INSERT_ORDER = `insert into orders
  (id, customer_id, status, payment_status, currency, total_minor, ship_to, ship_lat, ship_lng, hold_id,
   hold_expires_at, review_held, review_note, paid_at, created_at, updated_at)
  values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)`;

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

// In list order, so the timeline's ids follow it (placed before flagged).
const INSERT_EVENTS = `insert into order_events
  (order_id, sub_order_id, type, at, actor_role, actor_id, reason, data, dedupe_key)
  select value ->> 'orderId', value ->> 'subOrderId', value ->> 'type', value ->> 'at', value ->> 'actorRole',
    value ->> 'actorId', value ->> 'reason', value ->> 'data', value ->> 'dedupeKey'
  from json_each(?1) order by key`;

const INSERT_PAYMENT = `insert into payments
  (id, order_id, provider, status, amount_minor, refunded_minor, currency, client_secret, charge_id,
   created_at, updated_at)
  values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)`;

const INSERT_OUTBOX = `insert into outbox (type, order_id, payload, dedupe_key, created_at)
  values (?1, ?2, ?3, ?4, ?5)
  returning id, type, order_id as orderId, payload, dedupe_key as dedupeKey, created_at as createdAt,
    dispatched_at as dispatchedAt`;

const INSERT_ROUTING = `insert into routing_decisions (order_id, weights_version, explanation, created_at)
  values (?1, ?2, ?3, ?4) on conflict do nothing`;

/** A JSON column's value as drizzle stores it: its JSON text, or NULL. */
const jsonText = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/**
 * Writes a placed order in one batch, so it lands whole or not at all; orders placed at the same
 * moment share the batch's round trip (`shared-batch.ts`), and each is durable in D1 before this
 * returns. The idempotency row goes first: a concurrent duplicate collides there (or on the order
 * id) and writes nothing. Returns the outbox rows written, so they are dispatched without reading
 * them back.
 */
export async function writePlacedOrder(db: Db, placed: PlacedOrder, background?: Background): Promise<OutboxRow[]> {
  const d1 = db.$client;
  const { idempotency: k, order: o, payment: p, outbox: x, routing: r } = placed;
  const events = placed.events.map((e) => ({ ...e, data: jsonText(e.data) }));
  const results = await sharedBatch(
    d1,
    "checkout-writes",
    [
      d1
        .prepare(INSERT_IDEMPOTENCY)
        .bind(k.scope, k.key, k.requestHash, k.responseStatus, k.responseBody, k.createdAt, k.expiresAt),
      d1
        .prepare(INSERT_ORDER)
        .bind(
          o.id,
          o.customerId,
          o.status,
          o.paymentStatus,
          o.currency,
          o.totalMinor,
          jsonText(o.shipTo),
          o.shipLat,
          o.shipLng,
          o.holdId,
          o.holdExpiresAt,
          o.reviewHeld ? 1 : 0,
          o.reviewNote,
          o.paidAt,
          o.createdAt,
          o.updatedAt,
        ),
      d1.prepare(INSERT_SUB_ORDERS).bind(JSON.stringify(placed.subOrders)),
      d1.prepare(INSERT_LINES).bind(JSON.stringify(placed.lines)),
      d1
        .prepare(INSERT_PAYMENT)
        .bind(
          p.id,
          p.orderId,
          p.provider,
          p.status,
          p.amountMinor,
          p.refundedMinor,
          p.currency,
          p.clientSecret,
          p.chargeId,
          p.createdAt,
          p.updatedAt,
        ),
      d1.prepare(INSERT_EVENTS).bind(JSON.stringify(events)),
      d1.prepare(INSERT_OUTBOX).bind(x.type, x.orderId, jsonText(x.payload), x.dedupeKey, x.createdAt),
      d1.prepare(INSERT_ROUTING).bind(r.orderId, r.weightsVersion, jsonText(r.explanation), r.createdAt),
    ],
    background,
  );
  const written = results[6]!.results as (Omit<OutboxRow, "payload"> & { payload: string })[];
  return written.map((row) => ({ ...row, payload: JSON.parse(row.payload) as unknown }));
}
