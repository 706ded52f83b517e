import { and, asc, desc, eq, getTableColumns, gt, inArray, isNotNull, isNull, ne, type SQL, sql } from "drizzle-orm";
import { type SubOrderStatus, undeliveredOutcomes } from "../contracts/order-status";
import { deriveOrderStatus, partsOfParent } from "../domain/order-status";
import type { Actor } from "../domain/principal";
import { selectIn } from "./chunks";
import type { Db, Statement } from "./client";
import { uniqueViolation } from "./constraints";
import { loadOrder, type OrderAggregate, type OrderEventRow, type OrderState, type SubOrderRow } from "./orders";
import { type After, afterKey, keyOrder, type Page, toPage } from "./paging";
import { carriers, orderEvents, orders, outbox, refunds, skus, subOrders, vendors } from "./schema";

export async function findSubOrder(db: Db, id: string) {
  return db.select().from(subOrders).where(eq(subOrders.id, id)).get();
}

/** A sub-order with its whole order (siblings, lines, timeline, payment), or null. */
export async function loadSubOrder(
  db: Db,
  id: string,
  opts: { names?: boolean } = {},
): Promise<{ agg: OrderAggregate; sub: SubOrderRow } | null> {
  const row = await db.select({ orderId: subOrders.orderId }).from(subOrders).where(eq(subOrders.id, id)).get();
  const agg = row ? await loadOrder(db, row.orderId, opts) : null;
  const sub = agg?.subOrders.find((s) => s.id === id);
  return agg && sub ? { agg, sub } : null;
}

export async function barcodesOf(db: Db, skuIds: string[]) {
  const rows = await selectIn(db, skuIds, (ids) =>
    db.select({ id: skus.id, barcode: skus.barcode }).from(skus).where(inArray(skus.id, ids)),
  );
  return new Map(rows.map((r) => [r.id, r.barcode]));
}

export type CarrierRow = typeof carriers.$inferSelect;

export async function findCarrier(db: Db, code: string) {
  return db.select().from(carriers).where(eq(carriers.code, code)).get();
}

export async function listCarriers(db: Db, opts: { includeInactive: boolean }) {
  return db
    .select()
    .from(carriers)
    .where(opts.includeInactive ? undefined : eq(carriers.active, true))
    .orderBy(asc(carriers.name));
}

/**
 * An admin's edit of the carrier as it was read (`read`; undefined adds it), written only if the
 * row is still that read (or still absent): the edit fills what it does not name from the read, so
 * written over an edit that landed since, it would undo that one. Undefined when nothing was written.
 */
export async function saveCarrier(db: Db, row: CarrierRow, read: CarrierRow | undefined) {
  if (!read) return db.insert(carriers).values(row).onConflictDoNothing().returning().get();
  return db
    .update(carriers)
    .set({ name: row.name, awbPattern: row.awbPattern, awbExample: row.awbExample, active: row.active })
    .where(
      and(
        eq(carriers.code, read.code),
        eq(carriers.name, read.name),
        eq(carriers.awbPattern, read.awbPattern),
        eq(carriers.awbExample, read.awbExample),
        eq(carriers.active, read.active),
      ),
    )
    .returning()
    .get();
}

export type SubOrderSort = "-createdAt" | "slaDispatchBy";

/**
 * A deadline-ordered page's cursor key: "due:" and the row's deadline, bare "due:" once past the
 * rows that have one. Tagged, as both orders' keys are times: a cursor of the other order is
 * refused rather than read as a key of this one.
 */
const DUE = "due:";

/**
 * A vendor's sub-orders, newest first (keyset over (created_at, id)) or as a work queue, earliest
 * dispatch deadline first (keyset over (sla_dispatch_by, id), those without a deadline last, by id);
 * orders held for review are hidden from vendors. null for a cursor of the other order. `label`
 * keeps only the sub-orders with that AWB (of that carrier, or of any), found from sub_orders_awb.
 */
export async function listSubOrders(
  db: Db,
  f: {
    vendorId?: string;
    status?: string;
    label?: { awb: string; carrier?: string | undefined } | undefined;
    hideHeld: boolean;
    sort: SubOrderSort;
    after: After | undefined;
    limit: number;
  },
): Promise<Page<SubOrderRow> | null> {
  const byDeadline = f.sort === "slaDispatchBy";
  if (f.after && f.after.key.startsWith(DUE) !== byDeadline) return null;
  // With a label its few rows come from sub_orders_awb. Without statistics SQLite would rather walk
  // the vendor's (or the status's) entries in list order; unary `+` takes those terms off the index.
  const is = (c: typeof subOrders.vendorId | typeof subOrders.status, v: string) =>
    f.label ? sql`+${c} = ${v}` : eq(c, v);
  const scope = and(
    f.vendorId ? is(subOrders.vendorId, f.vendorId) : undefined,
    f.status ? is(subOrders.status, f.status) : undefined,
    f.hideHeld ? eq(orders.reviewHeld, false) : undefined,
    f.label ? eq(subOrders.awb, f.label.awb) : undefined,
    // Of any carrier: one lookup of sub_orders_awb (carrier, awb) per carrier code, a handful,
    // where an AWB alone would scan every sub-order. Dispatch only ever writes a carrier's code.
    f.label
      ? f.label.carrier
        ? eq(subOrders.carrier, f.label.carrier)
        : inArray(subOrders.carrier, db.select({ code: carriers.code }).from(carriers))
      : undefined,
  );
  const rows = (where: SQL | undefined) =>
    db.select({ sub: subOrders }).from(subOrders).innerJoin(orders, eq(orders.id, subOrders.orderId)).where(where);
  if (!byDeadline) {
    const newest = await rows(and(scope, afterKey(subOrders.createdAt, subOrders.id, f.after, "desc")))
      .orderBy(...keyOrder(subOrders.createdAt, subOrders.id, "desc"))
      .limit(f.limit + 1);
    return toPage(
      newest,
      f.limit,
      (r) => ({ key: r.sub.createdAt, id: r.sub.id }),
      (r) => r.sub,
    );
  }
  // Two reads rather than one ORDER BY with NULLS LAST, which no index serves: the dated rows by
  // (sla_dispatch_by, id), then, once they run out, the undated ones by id. For a vendor and a
  // status both come from sub_orders_vendor_status_sla alone, however long the queue.
  const afterDue = f.after?.key.slice(DUE.length);
  const undatedOnly = afterDue === "";
  const due = undatedOnly
    ? []
    : await rows(
        and(
          scope,
          isNotNull(subOrders.slaDispatchBy),
          afterKey(subOrders.slaDispatchBy, subOrders.id, f.after && { key: afterDue!, id: f.after.id }),
        ),
      )
        .orderBy(...keyOrder(subOrders.slaDispatchBy, subOrders.id))
        .limit(f.limit + 1);
  const undated =
    due.length > f.limit
      ? []
      : await rows(
          and(
            scope,
            isNull(subOrders.slaDispatchBy),
            undatedOnly && f.after ? gt(subOrders.id, f.after.id) : undefined,
          ),
        )
          .orderBy(asc(subOrders.id))
          .limit(f.limit + 1 - due.length);
  return toPage(
    [...due, ...undated],
    f.limit,
    (r) => ({ key: DUE + (r.sub.slaDispatchBy ?? ""), id: r.sub.id }),
    (r) => r.sub,
  );
}

/** Sub-orders a vendor still has to ship: their SLA clocks run. */
const AWAITING_DISPATCH: SubOrderStatus[] = ["paid", "confirmed", "packed"];

/**
 * (Re)starts the SLA clock of every sub-order of the order still waiting to be dispatched, `from`
 * plus its vendor's hours. Which sub-orders is decided as the statement runs, so one paid after
 * the caller read the order (its payment landing while the order was held for review, which
 * leaves it no deadline) gets its clock too.
 */
export function restartOrderSlaClocks(db: Db, orderId: string, from: string, at: string): Statement {
  // Spelled out: drizzle leaves an update's columns unqualified, so "vendor_id" must be the outer row's.
  const hours = sql`(select v.dispatch_sla_hours from ${vendors} v where v.id = ${sql.raw('"sub_orders"."vendor_id"')})`;
  return db
    .update(subOrders)
    .set({
      slaDispatchBy: sql`strftime('%Y-%m-%dT%H:%M:%SZ', ${from}, '+' || ${hours} || ' hours')`,
      slaStartedAt: from,
      nudgedAt: null,
      updatedAt: at,
    })
    .where(and(eq(subOrders.orderId, orderId), inArray(subOrders.status, AWAITING_DISPATCH)));
}

/**
 * The approval's outbox row, naming the sub-orders its vendors now have to ship as they stand when
 * the statement runs (a payment can land between the approval's read and its write).
 */
export function insertApprovalOutbox(
  db: Db,
  r: { orderId: string; type: string; dedupeKey: string; at: string },
): Statement {
  const open = sql`(select json_group_array(json_object('id', ${subOrders.id}, 'vendorId', ${subOrders.vendorId})) from ${subOrders} where ${subOrders.orderId} = ${r.orderId} and ${inArray(subOrders.status, AWAITING_DISPATCH)})`;
  return db
    .insert(outbox)
    .select(
      sql`select null, ${r.type}, ${r.orderId}, json_object('orderId', ${r.orderId}, 'subOrders', json(${open})), ${r.dedupeKey}, ${r.at}, null, null where true`,
    )
    .onConflictDoNothing();
}

/** The live shipment a carrier's AWB names: at most one sub-order that is not cancelled (sub_orders_carrier_awb_live). */
export async function findByAwb(db: Db, carrier: string, awb: string) {
  return db
    .select({ id: subOrders.id, dispatchedAt: subOrders.dispatchedAt })
    .from(subOrders)
    .where(and(eq(subOrders.carrier, carrier), eq(subOrders.awb, awb), ne(subOrders.status, "cancelled")))
    .get();
}

/**
 * The sub-order a carrier's tracking event dated `at` is about: the live shipment with that AWB,
 * else the parcel last closed as undelivered with it (a carrier repeating its return-to-origin or
 * loss event must reach the repeat, which finishes what a stopped first call left undone). An AWB
 * freed by such a close may be on a new parcel: an event dated well before that parcel left, with a
 * closed one to be about, is the closed one's, never the new parcel's to be delivered or closed by.
 * A closing event (`closes`: return to origin, loss) dated before the live parcel left is never its
 * own: a parcel cannot come back or be lost before it left, and closing it would refund it and
 * restock units in transit. It is the closed parcel's however little before; with none, it is about
 * nothing (undefined) unless it is within a clock's drift of the dispatch.
 */
export async function findTrackedShipment(db: Db, carrier: string, awb: string, at: Date, closes: boolean) {
  const live = await findByAwb(db, carrier, awb);
  const closed = () => closedAsUndelivered(db, carrier, awb).get();
  if (!live) return closed();
  const before = live.dispatchedAt === null ? 0 : Date.parse(live.dispatchedAt) - at.getTime();
  if (closes && before > 0) {
    const earlier = await closed();
    if (earlier || before > DISPATCH_DRIFT_MS) return earlier;
  }
  return (before > EARLIER_PARCEL_MS && (await closed())) || live;
}

// Carriers' clocks drift and some send local time as UTC: only a milestone or delivery this much
// older than the live parcel's dispatch is taken for an earlier parcel's.
const EARLIER_PARCEL_MS = 6 * 3_600_000;
// The carrier's clock against the Worker's that recorded the dispatch: the drift the webhook allows
// an event dated ahead of it (carrier-webhooks.ts CLOCK_SKEW_MS), allowed behind the dispatch too.
const DISPATCH_DRIFT_MS = 5 * 60_000;

/** The parcels closed as undelivered with this AWB, latest first, from sub_orders_awb. */
export function closedAsUndelivered(db: Db, carrier: string, awb: string) {
  return db
    .select({ id: subOrders.id, dispatchedAt: subOrders.dispatchedAt })
    .from(subOrders)
    .where(
      and(
        eq(subOrders.carrier, carrier),
        eq(subOrders.awb, awb),
        inArray(subOrders.cancellationReason, [...undeliveredOutcomes]),
      ),
    )
    .orderBy(desc(subOrders.cancelledAt))
    .limit(1);
}

/**
 * Puts a carrier's AWB on a packed sub-order before its units leave the warehouse, so the unique
 * index over live AWBs (sub_orders_carrier_awb_live) decides a race for one AWB while the loser has
 * shipped nothing. False when the sub-order is no longer packed; throws the unique violation
 * (`isAwbInUse`) when another live sub-order holds the AWB.
 */
export async function claimAwb(db: Db, id: string, carrier: string, awb: string): Promise<boolean> {
  const row = await db
    .update(subOrders)
    .set({ carrier, awb })
    .where(and(eq(subOrders.id, id), eq(subOrders.status, "packed")))
    .returning({ id: subOrders.id })
    .get();
  return row !== undefined;
}

/** Takes a claimed AWB back off a sub-order that did not ship with it. */
export async function dropAwbClaim(db: Db, id: string, carrier: string, awb: string): Promise<void> {
  await db
    .update(subOrders)
    .set({ carrier: null, awb: null })
    .where(
      and(
        eq(subOrders.id, id),
        eq(subOrders.carrier, carrier),
        eq(subOrders.awb, awb),
        inArray(subOrders.status, ["packed", "cancelled"]),
      ),
    );
}

/** Whether a write was refused because that carrier's AWB is already on a live sub-order. */
export function isAwbInUse(err: unknown): boolean {
  const broke = uniqueViolation(err);
  return broke?.table === "sub_orders" && broke.columns.includes("awb");
}

/** A sub-order's timeline event, written in the batch of the change it records if its guard holds. */
type GuardedEvent = {
  orderId: string;
  type: string;
  at: string;
  actorRole: string;
  actorId: string | null;
  reason: string | null;
  data: unknown;
  dedupeKey: string;
};

/**
 * A tracking milestone's timeline event and outbox row, each written only if the sub-order is still
 * dispatched when the batch runs (a delivery that landed after the caller read the status leaves
 * nothing saying the parcel is on its way), and only if it is news: the same milestone as the
 * parcel's latest of `repeat.types`, dated since `repeat.since`, is a repeat (a retry, or the vendor
 * and its carrier both reporting one van run) and writes nothing, so the shopper hears once. True
 * when the event was written now.
 */
export async function writeMilestone(
  db: Db,
  subOrderId: string,
  event: GuardedEvent,
  announcement: { type: string; orderId: string; payload: unknown; dedupeKey: string; createdAt: string },
  repeat: { types: readonly string[]; since: string },
): Promise<boolean> {
  const news = sql`not exists (
    select 1 from (
      select e.type, e.at from ${orderEvents} e
      where e.order_id = ${event.orderId} and e.sub_order_id = ${subOrderId}
        and e.type in (select value from json_each(${JSON.stringify(repeat.types)}))
      order by e.at desc, e.id desc limit 1
    ) as latest
    where latest.type = ${event.type} and latest.at >= ${repeat.since})`;
  const onTheWay = and(eq(subOrders.id, subOrderId), eq(subOrders.status, "dispatched"), news)!;
  // The outbox row first: written after it, the event would make the row's own guard see a repeat.
  const [, written] = (await db.batch([
    insertIf(db, outbox, announcement, onTheWay),
    insertIf(db, orderEvents, { ...event, subOrderId }, onTheWay).returning({ id: orderEvents.id }),
  ])) as unknown as [unknown, { id: number }[]];
  return written.length > 0;
}

/**
 * A dispatched sub-order's carrier and AWB corrected as one D1 batch: its timeline event and outbox
 * row, then the update, each only if the sub-order is still dispatched with the carrier and AWB the
 * caller read. The three test one guard on one state (a batch is one transaction), so the event is
 * written exactly when the AWB changes: a concurrent correction, delivery or cancel makes all three
 * write nothing. Throws the unique violation (`isAwbInUse`) when another live sub-order holds the
 * new AWB; the batch then writes nothing. True when the AWB was changed now.
 */
export async function writeAwbCorrection(
  db: Db,
  w: {
    subOrderId: string;
    from: { carrier: string | null; awb: string | null };
    to: { carrier: string; awb: string };
    at: string;
    event: GuardedEvent;
    announcement: { type: string; orderId: string; payload: unknown; dedupeKey: string; createdAt: string };
  },
): Promise<boolean> {
  // `is`: a NULL read is matched as NULL rather than never.
  const asRead = and(
    eq(subOrders.id, w.subOrderId),
    eq(subOrders.status, "dispatched"),
    sql`${subOrders.carrier} is ${w.from.carrier}`,
    sql`${subOrders.awb} is ${w.from.awb}`,
  )!;
  const [, , moved] = (await db.batch([
    insertIf(db, orderEvents, { ...w.event, subOrderId: w.subOrderId }, asRead),
    insertIf(db, outbox, w.announcement, asRead),
    db
      .update(subOrders)
      .set({ carrier: w.to.carrier, awb: w.to.awb, updatedAt: w.at })
      .where(asRead)
      .returning({ id: subOrders.id }),
  ])) as unknown as [unknown, unknown, { id: string }[]];
  return moved.length > 0;
}

/**
 * INSERT ... SELECT ... WHERE `guard`: the row is written only if the guard holds when the
 * statement runs inside its batch. Values go in the table's column order, encoded by each column.
 */
function insertIf(db: Db, table: typeof orderEvents | typeof outbox, row: Record<string, unknown>, guard: SQL) {
  const values = Object.entries(getTableColumns(table)).map(([key, column]) => {
    const value = row[key];
    return value === undefined || value === null ? sql`null` : sql`${sql.param(value, column)}`;
  });
  return db
    .insert(table)
    .select(sql`select ${sql.join(values, sql`, `)} from ${subOrders} where ${guard}`)
    .onConflictDoNothing();
}

/**
 * The parent's derived status, written only if its sub-orders are still exactly `subs` when the
 * statement runs: a concurrent move of a sibling makes it write nothing rather than a stale status.
 * The expected statuses travel as one JSON parameter, so an order of any number of sub-orders stays
 * inside D1's bound-parameter limit.
 */
function parentStatusIf(
  db: Db,
  orderId: string,
  subs: { id: string; status: string; cancellationReason: string | null }[],
  at: string,
) {
  const expected = JSON.stringify(Object.fromEntries(subs.map((s) => [s.id, s.status])));
  return db
    .update(orders)
    .set({ status: deriveOrderStatus(partsOfParent(subs)), updatedAt: at })
    .where(
      and(
        eq(orders.id, orderId),
        sql`not exists (select 1 from ${subOrders} where ${subOrders.orderId} = ${orderId} and not exists (select 1 from json_each(${expected}) as e where e.key = ${subOrders.id} and e.value = ${subOrders.status}))`,
      ),
    )
    .returning({ id: orders.id });
}

/** Re-derives the parent from its sub-orders as they are now; retried while siblings keep moving. */
export async function refreshParentStatus(db: Db, orderId: string, at: string) {
  for (let attempt = 0; attempt < 8; attempt++) {
    const subs = await db
      .select({ id: subOrders.id, status: subOrders.status, cancellationReason: subOrders.cancellationReason })
      .from(subOrders)
      .where(eq(subOrders.orderId, orderId));
    const written = await parentStatusIf(db, orderId, subs, at);
    if (written.length > 0) return;
  }
  throw new Error(`refreshParentStatus ${orderId}: its sub-orders kept changing`);
}

export type TransitionWrite = {
  /** With its timeline when the caller read it: a step taken before is then keyed apart (see below). */
  agg: OrderState & { events?: OrderEventRow[] };
  sub: SubOrderRow;
  /** The statuses the move may start from; the update is conditional on one of them. */
  from: readonly SubOrderStatus[];
  /** A further condition on the sub-order's row the move lands only under (the SLA watcher's: still breached). */
  guard?: SQL;
  to: SubOrderStatus;
  /** Columns set beside status and updated_at (stamps, carrier, reason). */
  changes: Partial<SubOrderRow>;
  actor: Actor;
  reason: string | null;
  data: Record<string, unknown> | null;
  /** What the outbox row says other than `data` (the timeline keeps `data`). */
  announced?: Record<string, unknown>;
  at: string;
  /** Written in the same batch, after the move (money records). */
  extra?: Statement[];
  /**
   * False when a whole-order event speaks for the move, so the shopper is not told twice: the
   * outbox row is then handed back unwritten (`announcement`), for the caller to write if no such
   * event comes.
   */
  announce?: boolean;
};

/**
 * One sub-order move as one D1 batch: the update conditional on the status it starts from (a
 * concurrent duplicate changes nothing), the parent's derived status, and a timeline event and
 * outbox row written only if the sub-order's row is as this move writes it, each keyed to be
 * written once.
 * Returns whether this call made the move, the outbox key to dispatch, and the outbox row held
 * back when `announce` is false.
 */
export async function writeTransition(
  db: Db,
  w: TransitionWrite,
): Promise<{ changed: boolean; key: string; announcement: Statement | null }> {
  const { agg, sub } = w;
  const type = `sub_order.${w.to}`;
  // Keyed by how often the sub-order reached this status before, as the caller read it: concurrent
  // duplicates read the same count and write once, while a step taken again after a reassignment
  // sent the sub-order back (confirmed -> paid) is recorded again.
  const before = (agg.events ?? []).filter((e) => e.subOrderId === sub.id && e.type === type).length;
  const key = before === 0 ? `${type}:${sub.id}` : `${type}:${sub.id}:${before + 1}`;
  const written = { ...w.changes, status: w.to, updatedAt: w.at };
  // Not merely in the new status: another's move may have put it there (a reassignment closes a
  // sub-order it emptied as cancelled), and a move that did not land must tell no one it did. A
  // concurrent duplicate writes the same row, and its records meet this move's keys.
  const asWritten = rowHolds(sub.id, written);
  const announcement = insertIf(
    db,
    outbox,
    {
      type,
      orderId: agg.order.id,
      payload: { orderId: agg.order.id, subOrderId: sub.id, vendorId: sub.vendorId, ...w.data, ...w.announced },
      dedupeKey: key,
      createdAt: w.at,
    },
    asWritten,
  );
  const siblings = agg.subOrders.map((s) => ({
    id: s.id,
    status: s.id === sub.id ? w.to : s.status,
    cancellationReason: s.cancellationReason,
  }));
  const [moved, parent] = (await db.batch([
    db
      .update(subOrders)
      .set(written)
      .where(and(eq(subOrders.id, sub.id), inArray(subOrders.status, [...w.from]), w.guard))
      .returning({ id: subOrders.id }),
    parentStatusIf(db, agg.order.id, siblings, w.at),
    ...(w.extra ?? []),
    insertIf(
      db,
      orderEvents,
      {
        orderId: agg.order.id,
        subOrderId: sub.id,
        type,
        at: w.at,
        actorRole: w.actor.role,
        actorId: w.actor.id,
        reason: w.reason,
        data: w.data,
        dedupeKey: key,
      },
      asWritten,
    ),
    ...(w.announce === false ? [] : [announcement]),
  ])) as unknown as [{ id: string }[], { id: string }[], ...unknown[]];
  const changed = moved.length > 0;
  if (changed && parent.length === 0) await refreshParentStatus(db, agg.order.id, w.at);
  return { changed, key, announcement: w.announce === false ? announcement : null };
}

/** The sub-order's row holds each of `values` (`is`: a NULL written is matched as NULL). */
function rowHolds(id: string, values: Partial<SubOrderRow>): SQL {
  const columns = getTableColumns(subOrders);
  const equal = Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => {
      const column = columns[key as keyof typeof columns];
      return sql`${column} is ${value === null ? sql`null` : sql.param(value, column)}`;
    });
  return and(eq(subOrders.id, id), ...equal)!;
}

/**
 * The sub-orders of the order whose cancel was written without its message (a whole-order cancel's,
 * which the order's own message speaks for) while that message, `orderKey`, is not written yet: the
 * whole-order cancel stopped in between, and its retry finishes it.
 */
export async function cancelsLeftUnannounced(db: Db, orderId: string, orderKey: string): Promise<string[]> {
  // Spelled out: drizzle leaves a one-table select's columns unqualified, and inside the subquery
  // "dedupe_key" would be the outbox row's.
  const eventKey = sql.raw('"order_events"."dedupe_key"');
  const rows = await db
    .select({ subOrderId: orderEvents.subOrderId })
    .from(orderEvents)
    .where(
      and(
        eq(orderEvents.orderId, orderId),
        eq(orderEvents.type, "sub_order.cancelled"),
        isNotNull(orderEvents.subOrderId),
        sql`not exists (select 1 from ${outbox} o where o.dedupe_key = ${eventKey})`,
        sql`not exists (select 1 from ${outbox} o where o.dedupe_key = ${orderKey})`,
      ),
    );
  return [...new Set(rows.map((r) => r.subOrderId!))];
}

/**
 * What the cancels of these sub-orders refunded (and the provider has not failed since) that no
 * message of its own told, per sub-order: `toldBy` maps each sub-order to the key of the message
 * its refund has when told on its own (a late or retried one).
 */
export async function refundsUntold(
  db: Db,
  toldBy: Record<string, string>,
): Promise<{ subOrderId: string; amountMinor: number }[]> {
  return db
    .select({ subOrderId: sql<string>`told.key`, amountMinor: sql<number>`sum(${refunds.amountMinor})` })
    .from(refunds)
    .innerJoin(sql`json_each(${JSON.stringify(toldBy)}) as told`, sql`told.key = ${refunds.subOrderId}`)
    .where(and(isNull(refunds.failedAt), sql`not exists (select 1 from ${outbox} o where o.dedupe_key = told.value)`))
    .groupBy(sql`told.key`);
}
