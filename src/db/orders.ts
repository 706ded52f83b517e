import { and, asc, desc, eq, gte, inArray, isNotNull, isNull, ne, type SQL, sql } from "drizzle-orm";
import { orderStatuses } from "../contracts/order-status";
import { selectIn } from "./chunks";
import type { Db, Statement } from "./client";
import { type After, afterKey, keyOrder, type Page, toPage } from "./paging";
import type { PendingRefundRow } from "./payments";
import {
  creditNotes,
  customerFeeds,
  lineItems,
  orderEvents,
  orders,
  outbox,
  payments,
  pendingRefunds,
  products,
  reassignments,
  routingDecisions,
  skus,
  subOrders,
  vendors,
  warehouses,
} from "./schema";

export type OrderRow = typeof orders.$inferSelect;
export type SubOrderRow = typeof subOrders.$inferSelect;
export type LineItemRow = typeof lineItems.$inferSelect;
export type OrderEventRow = typeof orderEvents.$inferSelect;
export type PaymentRow = typeof payments.$inferSelect;
export type RoutingDecisionRow = typeof routingDecisions.$inferSelect;

export type OrderAggregate = {
  order: OrderRow;
  subOrders: SubOrderRow[];
  lines: LineItemRow[];
  events: OrderEventRow[];
  payment: PaymentRow | undefined;
  /** Why each line went where it went (absent for orders placed before routing recorded it). */
  routing?: RoutingDecisionRow;
  /** Refunds of cancelled sub-orders the provider has not made yet (loaded by loadOrder). */
  pendingRefunds?: PendingRefundRow[];
  /** What a person reads for the order's ids (loaded by loadOrder; checkout's reply goes without). */
  names?: OrderNames;
  /** The credit notes issued for its sub-orders, oldest first (loaded by loadOrder with the names). */
  creditNotes?: CreditNoteBrief[];
};

export type CreditNoteBrief = {
  id: string;
  subOrderId: string;
  financialYear: number | null;
  number: number | null;
  amountMinor: number;
  currency: string;
  reason: string;
  createdAt: string;
};

export type SkuName = { title: string; productId: string; productTitle: string };

/** Names of the vendors, warehouses and SKUs an order's sub-orders, lines and routing record mention. */
export type OrderNames = {
  vendors: Map<string, string>;
  warehouses: Map<string, string>;
  skus: Map<string, SkuName>;
};

/**
 * Ids under `key` anywhere in the order's routing record (candidates, chosen, planned): subqueries, so
 * the names ride in loadOrder's one batch with one bound parameter each, however many rows they name.
 */
function routedIds(orderId: string, key: "vendorId" | "warehouseId" | "skuId"): SQL {
  return sql`select t.value from ${routingDecisions} r, json_tree(r.explanation) t where r.order_id = ${orderId} and t.key = ${key}`;
}

function orderNameQueries(db: Db, orderId: string) {
  return [
    db
      .select({ id: vendors.id, name: vendors.name })
      .from(vendors)
      .where(
        sql`${vendors.id} in (select ${subOrders.vendorId} from ${subOrders} where ${subOrders.orderId} = ${orderId} union ${routedIds(orderId, "vendorId")})`,
      ),
    db
      .select({ id: warehouses.id, name: warehouses.name })
      .from(warehouses)
      .where(
        sql`${warehouses.id} in (select ${lineItems.warehouseId} from ${lineItems} where ${lineItems.orderId} = ${orderId} union ${routedIds(orderId, "warehouseId")})`,
      ),
    db
      // Aliased: D1's batch hands back rows by column name, and both tables call theirs `title`.
      .select({
        id: skus.id,
        title: skus.title,
        productId: skus.productId,
        productTitle: sql<string>`${products.title}`.as("product_title"),
      })
      .from(skus)
      .innerJoin(products, eq(products.id, skus.productId))
      .where(
        sql`${skus.id} in (select ${lineItems.skuId} from ${lineItems} where ${lineItems.orderId} = ${orderId} union ${routedIds(orderId, "skuId")})`,
      ),
  ] as const;
}

/** The order's credit notes, oldest first: what its readers list, each with its PDF. */
function creditNotesQuery(db: Db, orderId: string) {
  return db
    .select({
      id: creditNotes.id,
      subOrderId: creditNotes.subOrderId,
      financialYear: creditNotes.financialYear,
      number: creditNotes.number,
      amountMinor: creditNotes.amountMinor,
      currency: creditNotes.currency,
      reason: creditNotes.reason,
      createdAt: creditNotes.createdAt,
    })
    .from(creditNotes)
    .where(eq(creditNotes.orderId, orderId))
    .orderBy(asc(creditNotes.createdAt), asc(creditNotes.id));
}

/**
 * The order with everything about it, in one batch. `names` adds the names of what it mentions
 * (three statements more, bound by subqueries to one parameter each) and its credit notes (one
 * more): for views a person reads, not for the jobs and writes that only decide.
 */
export async function loadOrder(
  db: Db,
  orderId: string,
  { names = false }: { names?: boolean } = {},
): Promise<OrderAggregate | null> {
  const [order, subs, lines, payment, owed, events, routing, vendorNames, warehouseNames, skuNames, notes] =
    await db.batch([
      ...stateQueries(db, orderId),
      db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(asc(orderEvents.id)),
      db.select().from(routingDecisions).where(eq(routingDecisions.orderId, orderId)),
      ...(names ? ([...orderNameQueries(db, orderId), creditNotesQuery(db, orderId)] as const) : []),
    ]);
  if (!order[0]) return null;
  return {
    order: order[0],
    subOrders: subs,
    lines,
    events,
    payment: payment[0],
    ...(routing[0] ? { routing: routing[0] } : {}),
    pendingRefunds: owed,
    ...(names && vendorNames && warehouseNames && skuNames && notes
      ? {
          names: {
            vendors: new Map(vendorNames.map((v) => [v.id, v.name])),
            warehouses: new Map(warehouseNames.map((w) => [w.id, w.name])),
            skus: new Map(skuNames.map(({ id, ...name }) => [id, name])),
          },
          creditNotes: notes,
        }
      : {}),
  };
}

/** An order as a change to it needs it: no timeline, no routing record, no names. */
export type OrderState = Omit<OrderAggregate, "events" | "routing" | "names" | "creditNotes">;

/** The order, its sub-orders, lines, payment and unpaid refunds: what every load of an order reads. */
function stateQueries(db: Db, orderId: string) {
  return [
    db.select().from(orders).where(eq(orders.id, orderId)),
    db.select().from(subOrders).where(eq(subOrders.orderId, orderId)).orderBy(asc(subOrders.vendorId)),
    db
      .select()
      .from(lineItems)
      .where(eq(lineItems.orderId, orderId))
      .orderBy(asc(lineItems.lineIndex), asc(lineItems.id)),
    db.select().from(payments).where(eq(payments.orderId, orderId)),
    db
      .select()
      .from(pendingRefunds)
      .where(and(eq(pendingRefunds.orderId, orderId), isNull(pendingRefunds.settledAt))),
  ] as const;
}

/** An order's state in one batch, without what only a person reads: what a change (a cancel) needs. */
export async function loadOrderState(db: Db, orderId: string): Promise<OrderState | null> {
  const [order, subs, lines, payment, owed] = await db.batch(stateQueries(db, orderId));
  if (!order[0]) return null;
  return { order: order[0], subOrders: subs, lines, payment: payment[0], pendingRefunds: owed };
}

export async function findPayment(db: Db, paymentId: string) {
  return db.select().from(payments).where(eq(payments.id, paymentId)).get();
}

/**
 * Expired unpaid orders, oldest first, through the partial index made for this scan; after `after`
 * (a hold expiry and order id) when a page continues an earlier one.
 */
export async function findExpiredUnpaidOrders(db: Db, now: string, limit: number, after?: { key: string; id: string }) {
  return db
    .select({
      id: orders.id,
      holdExpiresAt: orders.holdExpiresAt,
      // What releasing its hold costs: a call per SKU. (The outer column spelled out: drizzle leaves a
      // one-table select's columns unqualified, and inside the subquery "id" would be the line's.)
      skus: sql<number>`(select count(distinct li.sku_id) from ${lineItems} li where li.order_id = ${sql.raw('"orders"."id"')})`,
    })
    .from(orders)
    .where(
      and(
        eq(orders.status, "pending_payment"),
        sql`${orders.holdExpiresAt} <= ${now}`,
        after
          ? sql`${orders.holdExpiresAt} >= ${after.key} and (${orders.holdExpiresAt} > ${after.key} or ${orders.id} > ${after.id})`
          : undefined,
      ),
    )
    .orderBy(asc(orders.holdExpiresAt), asc(orders.id))
    .limit(limit);
}

export function insertOutbox(
  db: Db,
  row: { type: string; orderId: string; payload: unknown; dedupeKey: string; createdAt: string },
) {
  return db.insert(outbox).values(row).onConflictDoNothing();
}

export function insertEvent(
  db: Db,
  row: {
    orderId: string;
    subOrderId?: string | null;
    type: string;
    at: string;
    actorRole: string;
    actorId: string | null;
    reason?: string | null;
    data?: unknown;
    dedupeKey: string;
  },
) {
  return db
    .insert(orderEvents)
    .values({ ...row, subOrderId: row.subOrderId ?? null, reason: row.reason ?? null, data: row.data ?? null })
    .onConflictDoNothing();
}

/**
 * An order-level event and its outbox row, each inserted only if the order is cancelled when the
 * statement runs (placed after the statement that may cancel it, in the same batch).
 */
export function insertEventAndOutboxIfCancelled(
  db: Db,
  event: Omit<OrderEventRow, "id" | "subOrderId" | "data">,
  message: { type: string; orderId: string; payload: unknown; dedupeKey: string; createdAt: string },
): [event: Statement, message: Statement] {
  const cancelled = sql`exists (select 1 from ${orders} where ${orders.id} = ${event.orderId} and ${orders.status} = 'cancelled')`;
  return [
    db
      .insert(orderEvents)
      .select(
        sql`select null, ${event.orderId}, null, ${event.type}, ${event.at}, ${event.actorRole}, ${event.actorId}, ${event.reason}, null, ${event.dedupeKey} where ${cancelled}`,
      )
      .onConflictDoNothing(),
    db
      .insert(outbox)
      .select(
        sql`select null, ${message.type}, ${message.orderId}, ${JSON.stringify(message.payload)}, ${message.dedupeKey}, ${message.createdAt}, null, null where ${cancelled}`,
      )
      .onConflictDoNothing()
      .returning({ id: outbox.id }),
  ];
}

/** Cancels every sub-order of the order that has not left the warehouse (nor was cancelled before). */
export function cancelOpenSubOrders(db: Db, orderId: string, reason: string, at: string): Statement {
  return db
    .update(subOrders)
    .set({ status: "cancelled", cancellationReason: reason, cancelledAt: at, updatedAt: at })
    .where(
      and(
        eq(subOrders.orderId, orderId),
        inArray(subOrders.status, ["pending_payment", "paid", "confirmed", "packed"]),
      ),
    );
}

/** `paymentStatus` may be SQL read when the statement runs (see derivedPaymentStatus). */
export function markOrderCancelled(db: Db, orderId: string, paymentStatus: "unpaid" | SQL<string>, at: string) {
  return db.update(orders).set({ status: "cancelled", paymentStatus, updatedAt: at }).where(eq(orders.id, orderId));
}

/** `markOrderCancelled` only once every sub-order of the order is cancelled, as the statement runs. */
export function markCancelledIfAllAre(db: Db, orderId: string, paymentStatus: "unpaid" | SQL<string>, at: string) {
  return db
    .update(orders)
    .set({ status: "cancelled", paymentStatus, updatedAt: at })
    .where(
      and(
        eq(orders.id, orderId),
        sql`not exists (select 1 from ${subOrders} where ${subOrders.orderId} = ${orderId} and ${subOrders.status} <> 'cancelled')`,
      ),
    );
}

export function setOrderStatus(db: Db, orderId: string, status: OrderRow["status"], at: string): Statement {
  return db.update(orders).set({ status, updatedAt: at }).where(eq(orders.id, orderId));
}

export function setOrderPaymentStatus(db: Db, orderId: string, paymentStatus: OrderRow["paymentStatus"]): Statement {
  return db.update(orders).set({ paymentStatus }).where(eq(orders.id, orderId));
}

/** The order paid, if it was still waiting for payment. */
export function markOrderPaid(db: Db, orderId: string, at: string): Statement {
  return db
    .update(orders)
    .set({ status: "paid", paymentStatus: "paid", paidAt: at, updatedAt: at })
    .where(and(eq(orders.id, orderId), eq(orders.status, "pending_payment")));
}

/**
 * A sub-order paid, if it was still waiting for payment. Its SLA clock starts at `slaStartedAt`, due
 * by `slaDispatchBy`, unless its order is held for review when this statement runs (approval starts it then): decided
 * in SQL, so an approval that commits while the payment is being applied is never missed.
 */
export function markSubOrderPaid(
  db: Db,
  subOrderId: string,
  sla: { slaDispatchBy: string; slaStartedAt: string },
  at: string,
): Statement {
  return db
    .update(subOrders)
    .set({
      status: "paid",
      slaDispatchBy: sql`case when (select ${orders.reviewHeld} from ${orders} where ${orders.id} = ${subOrders.orderId}) then null else ${sla.slaDispatchBy} end`,
      slaStartedAt: sql`case when (select ${orders.reviewHeld} from ${orders} where ${orders.id} = ${subOrders.orderId}) then null else ${sla.slaStartedAt} end`,
      updatedAt: at,
    })
    .where(and(eq(subOrders.id, subOrderId), eq(subOrders.status, "pending_payment")));
}

/** The order's lines of one SKU replaced by `lines` (where its stock now sits). */
export function replaceLines(db: Db, orderId: string, skuId: string, lines: LineItemRow[]): Statement[] {
  return [
    db.delete(lineItems).where(and(eq(lineItems.orderId, orderId), eq(lineItems.skuId, skuId))),
    ...lines.map((l) => db.insert(lineItems).values(l)),
  ];
}

/**
 * Where each of these orders was held for review and released, as points in the outbox: an order
 * placed (held if the review rule held it), flagged (held) or approved (released), oldest first.
 * Outbox ids follow commit order, so the last point at or before an outbox row says whether the
 * order was held when that row was written. Found by the rows' dedupe keys (`order.placed:<id>`,
 * `order.flagged:<id>:…`, `order.approved:<id>:…`), the one index the outbox has by order:
 * one statement however many orders (their ids travel as one JSON parameter; per id, three
 * searches of that index), and the held flag is read in SQL, so no payload leaves D1.
 */
export async function reviewPoints(
  db: Db,
  orderIds: readonly string[],
): Promise<{ orderId: string; outboxId: number; held: boolean }[]> {
  if (orderIds.length === 0) return [];
  const range = (type: string) =>
    sql`(o.dedupe_key >= ${type} || j.value || ':' and o.dedupe_key < ${type} || j.value || ';')`;
  // CROSS JOIN keeps the ids as the outer loop, so each id searches the index rather than the outbox being scanned.
  const rows = await db.all<{ orderId: string; outboxId: number; held: number }>(sql`
    select o.order_id as orderId, o.id as outboxId,
           (o.type = 'order.flagged' or (o.type = 'order.placed' and coalesce(json_type(o.payload, '$.review.held') = 'true', 0))) as held
    from json_each(${JSON.stringify([...new Set(orderIds)])}) as j cross join outbox as o
    where o.dedupe_key = 'order.placed:' || j.value or ${range("order.flagged:")} or ${range("order.approved:")}
    order by o.id`);
  return rows.map((r) => ({ orderId: r.orderId, outboxId: r.outboxId, held: r.held === 1 }));
}

/** Holds the order for review (its vendors stop seeing it) or releases it, keeping `note`. */
export function setReviewHold(db: Db, orderId: string, r: { held: boolean; note: string | null; at: string }) {
  return db
    .update(orders)
    .set({ reviewHeld: r.held, reviewNote: r.note, updatedAt: r.at })
    .where(eq(orders.id, orderId));
}

export type OrderListFilter = {
  customerId?: string;
  vendorId?: string;
  warehouseId?: string;
  status?: string;
  from?: string;
  to?: string;
  /** Leave out orders held for review (a vendor's list: they do not exist for it until approved). */
  hideHeld?: boolean;
  /** Only the orders held for review (true) or none of them (false). */
  held?: boolean;
  ascending: boolean;
  after?: After;
  limit: number;
};

/** The filter as SQL conditions, shared by the list and its counts. */
export function orderConditions(f: Omit<OrderListFilter, "ascending" | "limit" | "after">) {
  return [
    f.customerId ? eq(orders.customerId, f.customerId) : undefined,
    f.status ? eq(orders.status, f.status) : undefined,
    f.hideHeld ? eq(orders.reviewHeld, false) : undefined,
    // Written out, not bound, so the planner can read the held orders from their partial index alone.
    f.held === undefined ? undefined : f.held ? sql`${orders.reviewHeld} = 1` : sql`${orders.reviewHeld} = 0`,
    f.from ? sql`${orders.createdAt} >= ${f.from}` : undefined,
    f.to ? sql`${orders.createdAt} < ${f.to}` : undefined,
    f.vendorId
      ? sql`exists (select 1 from ${subOrders} where ${subOrders.orderId} = ${orders.id} and ${subOrders.vendorId} = ${f.vendorId})`
      : undefined,
    f.warehouseId
      ? sql`exists (select 1 from ${lineItems} where ${lineItems.orderId} = ${orders.id} and ${lineItems.warehouseId} = ${f.warehouseId})`
      : undefined,
  ];
}

/**
 * Each order's customer, for the orders whose customer has ever been issued a feed ticket: whose
 * feed an order event also goes to. Orders of customers who never asked for their feed are left
 * out, so no feed object is created for them. One statement however many orders (the ids travel as
 * one JSON parameter), not one per hundred.
 */
export async function orderCustomersFollowed(db: Db, orderIds: readonly string[]): Promise<Map<string, string>> {
  if (orderIds.length === 0) return new Map();
  const rows = await db
    .select({ id: orders.id, customerId: orders.customerId })
    .from(orders)
    .innerJoin(customerFeeds, eq(customerFeeds.customerId, orders.customerId))
    .where(sql`${orders.id} in (select value from json_each(${JSON.stringify([...new Set(orderIds)])}))`);
  return new Map(rows.map((r) => [r.id, r.customerId]));
}

export type ListedSubOrder = SubOrderRow & { vendorName: string | null };

/**
 * Keyset pages over (created_at, id), served by the orders_created index; each order with its
 * sub-orders and their vendors' names (joined, so no read per row).
 */
export async function listOrders(
  db: Db,
  f: OrderListFilter,
): Promise<Page<OrderRow & { subOrders: ListedSubOrder[] }>> {
  const direction = f.ascending ? "asc" : "desc";
  const rows = await db
    .select()
    .from(orders)
    .where(and(...orderConditions(f), afterKey(orders.createdAt, orders.id, f.after, direction)))
    .orderBy(...keyOrder(orders.createdAt, orders.id, direction))
    .limit(f.limit + 1);
  const subs = await selectIn(
    db,
    rows.slice(0, f.limit).map((o) => o.id),
    (ids) =>
      db
        .select({ sub: subOrders, vendorName: vendors.name })
        .from(subOrders)
        .leftJoin(vendors, eq(vendors.id, subOrders.vendorId))
        .where(inArray(subOrders.orderId, ids))
        .orderBy(asc(subOrders.vendorId)),
  );
  return toPage(
    rows,
    f.limit,
    (o) => ({ key: o.createdAt, id: o.id }),
    (o) => ({
      ...o,
      subOrders: subs.filter((s) => s.sub.orderId === o.id).map((s) => ({ ...s.sub, vendorName: s.vendorName })),
    }),
  );
}

/** Every status a paid order can be in: while any of it is not cancelled, its units are committed or shipped. */
const PAID_ORDER_STATUSES = orderStatuses.filter((s) => s !== "pending_payment" && s !== "cancelled");

/**
 * Orders placed and paid since `since` and not wholly cancelled, the `limit` changed last (a
 * cancel, a move, a dispatch: what touches their stock), each with the lines of its sub-orders that
 * are not cancelled: what the invariant audit checks against the stock objects. A cancelled
 * sub-order's units (a vendor's cancel, an override's emptied shell) were released, so its lines
 * are owed no stock. The day's orders by `orders_created`, sorted by their last change: a status
 * filter by `orders_status_created` would read statuses in turn (every delivered order first).
 */
export async function paidOrdersWithLines(db: Db, since: string, limit: number) {
  const paid = await db
    .select({ id: orders.id, holdId: orders.holdId })
    .from(orders)
    .where(and(gte(orders.createdAt, since), gte(orders.paidAt, since), inArray(orders.status, PAID_ORDER_STATUSES)))
    .orderBy(desc(orders.updatedAt), desc(orders.id))
    .limit(limit);
  const lines = await linesOwed(
    db,
    paid.map((o) => o.id),
  );
  return paid.map((o) => ({ ...o, lines: lines.filter((l) => l.orderId === o.id) }));
}

/** The lines of these orders' sub-orders that are not cancelled: the units their holds still owe. */
function linesOwed(db: Db, orderIds: string[]) {
  return selectIn(db, orderIds, (ids) =>
    db
      .select({ orderId: lineItems.orderId, skuId: lineItems.skuId, qty: lineItems.qty })
      .from(lineItems)
      .innerJoin(subOrders, eq(subOrders.id, lineItems.subOrderId))
      .where(and(inArray(lineItems.orderId, ids), ne(subOrders.status, "cancelled"))),
  );
}

/**
 * The invariant audit's second look at orders whose lines it found wrong, read as they are now: the
 * lines of their sub-orders that are not cancelled, and the orders a reassignment has not moved the
 * hold of yet (`stock_move` still set: until the reassignment-stock job moves it, the hold keeps the
 * old lines' units).
 */
export async function linesOwedNow(db: Db, orderIds: string[]) {
  const [lines, moving] = await Promise.all([
    linesOwed(db, orderIds),
    selectIn(db, orderIds, (ids) =>
      db
        .selectDistinct({ orderId: reassignments.orderId })
        .from(reassignments)
        .where(and(inArray(reassignments.orderId, ids), isNotNull(reassignments.stockMove))),
    ),
  ]);
  return { lines, stockMoving: new Set(moving.map((m) => m.orderId)) };
}

/**
 * Orders placed and paid since `since` and cancelled whole since, the `limit` cancelled last, each
 * with the SKUs its lines named: the audit checks that none of their units is still held or
 * committed (a cancel racing a move can leave some behind: cancellation/stray-units).
 */
export async function cancelledPaidOrders(db: Db, since: string, limit: number) {
  const cancelled = await db
    .select({ id: orders.id, holdId: orders.holdId })
    .from(orders)
    .where(and(gte(orders.createdAt, since), gte(orders.paidAt, since), eq(orders.status, "cancelled")))
    .orderBy(desc(orders.updatedAt), desc(orders.id))
    .limit(limit);
  const lines = await selectIn(
    db,
    cancelled.map((o) => o.id),
    (ids) =>
      db
        .selectDistinct({ orderId: lineItems.orderId, skuId: lineItems.skuId })
        .from(lineItems)
        .where(inArray(lineItems.orderId, ids)),
  );
  return cancelled.map((o) => ({ ...o, skuIds: lines.filter((l) => l.orderId === o.id).map((l) => l.skuId) }));
}

/**
 * The SKUs the order's lines name (those of `subOrderId` only, when given) of which no line of a
 * sub-order not cancelled holds a unit; none for an order never reassigned (only a move puts units
 * in a hold after the cancel that released it), unless `evenIfNeverMoved` (the SLA watcher's hold again does too).
 */
export async function skusWithoutLiveLines(
  db: Db,
  orderId: string,
  subOrderId?: string,
  { evenIfNeverMoved = false }: { evenIfNeverMoved?: boolean } = {},
): Promise<string[]> {
  const rows = await db
    .select({ skuId: lineItems.skuId })
    .from(lineItems)
    .innerJoin(subOrders, eq(subOrders.id, lineItems.subOrderId))
    .where(
      and(
        eq(lineItems.orderId, orderId),
        evenIfNeverMoved
          ? undefined
          : sql`exists (select 1 from ${reassignments} where ${reassignments.orderId} = ${orderId})`,
      ),
    )
    .groupBy(lineItems.skuId)
    .having(
      and(
        sql`max(${subOrders.status} <> 'cancelled' and ${lineItems.qty} > 0) = 0`,
        subOrderId === undefined ? undefined : sql`max(${subOrders.id} = ${subOrderId}) = 1`,
      ),
    );
  return rows.map((r) => r.skuId);
}

/**
 * How many orders the filter matches, by status (served by orders_status_created). With a vendor,
 * from that vendor's sub-orders (sub_orders_vendor_created; one per order and vendor) to their
 * orders: testing every order for a sub-order of the vendor took seconds over a million orders.
 */
export async function countOrders(db: Db, f: Omit<OrderListFilter, "ascending" | "limit" | "after" | "status">) {
  const count = { status: orders.status, count: sql<number>`count(*)` };
  if (!f.vendorId)
    return db
      .select(count)
      .from(orders)
      .where(and(...orderConditions(f)))
      .groupBy(orders.status);
  return db
    .select(count)
    .from(subOrders)
    .crossJoin(orders) // CROSS JOIN keeps SQLite's order: the vendor's sub-orders first.
    .where(
      and(
        eq(subOrders.vendorId, f.vendorId),
        eq(orders.id, subOrders.orderId),
        ...orderConditions({ ...f, vendorId: undefined }),
      ),
    )
    .groupBy(orders.status);
}

export async function warehouseVendor(db: Db, warehouseId: string): Promise<string | null> {
  const row = await db
    .select({ vendorId: warehouses.vendorId })
    .from(warehouses)
    .where(eq(warehouses.id, warehouseId))
    .get();
  return row?.vendorId ?? null;
}
