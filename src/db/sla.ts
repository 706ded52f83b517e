import { asc, max, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { type Db, runBatch } from "./client";
import { queueOpsAlert } from "./ops-alerts";
import type { OrderAggregate, SubOrderRow } from "./orders";
import type { OutboxRow } from "./outbox";
import { lineItems, orderEvents, orders, payments, routingDecisions, subOrders, vendors } from "./schema";
import { findSubOrder } from "./sub-orders";

export type Due = {
  id: string;
  orderId: string;
  vendorId: string;
  slaDispatchBy: string;
  nudgedAt: string | null;
  leadMinutes: number;
};

/**
 * The watcher's two scans, each served by its partial index in deadline order: the sub-orders
 * past their deadline (sub_orders_sla_open), and those not nudged yet whose vendor's lead has
 * begun (sub_orders_sla_unnudged). Nudged ones leave the second scan, so however many wait for
 * dispatch, the next tick reaches the ones that still need a nudge. The index is named because
 * without statistics SQLite would rather take sub_orders_status_sla and sort; that is also why
 * this is SQL text (the query builder cannot say INDEXED BY). `horizon` is now plus the widest
 * lead, the index range. A breach ops were told has shipped (`reportUnfinishedDispatch`) is skipped:
 * no cancel can land on it, and retried every tick it would hold the head of every page. So is one
 * a reassignment's stock is still moving for (`noStockMoving`), until that stock has followed.
 */
export function dueScans(
  nowIso: string,
  horizon: string,
  limits: { breached: number; toNudge: number },
  /** Where a continued page of breaches starts: after this deadline and sub-order id. */
  after?: { key: string; id: string },
) {
  const scan = (index: string, where: SQL, limit: number) => sql`
    select s.id as id, s.order_id as orderId, s.vendor_id as vendorId, s.sla_dispatch_by as slaDispatchBy,
           s.nudged_at as nudgedAt, v.nudge_lead_minutes as leadMinutes
    from sub_orders as s indexed by ${sql.identifier(index)}
    join orders as o on o.id = s.order_id
    join vendors as v on v.id = s.vendor_id
    where s.status in ('paid','confirmed','packed') and s.sla_dispatch_by is not null and o.review_held = 0
      and ${where}
    order by s.sla_dispatch_by, s.id
    limit ${limit}`;
  const past = after
    ? sql`s.sla_dispatch_by <= ${nowIso} and s.sla_dispatch_by >= ${after.key}
        and (s.sla_dispatch_by > ${after.key} or s.id > ${after.id})`
    : sql`s.sla_dispatch_by <= ${nowIso}`;
  // One probe of the alerts' unique dedupe index per reported row, which the index walk passes over.
  const unreported = sql`not exists (select 1 from notifications as n
    where n.dedupe_key = ${`${UNFINISHED_DISPATCH}:`} || s.id)`;
  return {
    breached: scan(
      "sub_orders_sla_open",
      sql`${past} and ${unreported} and ${noStockMoving(sql`s.id`, sql`s.order_id`)}`,
      limits.breached,
    ),
    toNudge: scan(
      "sub_orders_sla_unnudged",
      sql`s.nudged_at is null and s.sla_dispatch_by > ${nowIso} and s.sla_dispatch_by <= ${horizon}
        and s.sla_dispatch_by <= strftime('%Y-%m-%dT%H:%M:%SZ', ${nowIso}, '+' || v.nudge_lead_minutes || ' minutes')`,
      limits.toNudge,
    ),
  };
}

/**
 * Not named (as source or target) by a reassignment whose stock has not followed its claim yet:
 * pack and dispatch refuse such a sub-order until it has (`stockStillMoving`), for a minute or up to
 * an hour, so a deadline passing meanwhile is no breach of its vendor's. Read through
 * reassignments_order.
 */
function noStockMoving(subOrderId: SQL | SQLiteColumn, orderId: SQL | SQLiteColumn): SQL {
  return sql`not exists (select 1 from reassignments as r where r.order_id = ${orderId}
    and r.stock_move is not null and ${subOrderId} in (r.from_sub_order_id, r.to_sub_order_id))`;
}

/**
 * The breach scan's own condition, for the cancel's guarded write: the sub-order's deadline has
 * passed at `nowIso`, its order is not held for review and no reassignment's stock is moving for
 * it, as the write runs. A flag for review, a reassignment's new deadline or its claim landing after
 * the scan read it makes the cancel not land.
 */
export function stillBreached(nowIso: string): SQL {
  return sql`${subOrders.slaDispatchBy} is not null and ${subOrders.slaDispatchBy} <= ${nowIso}
    and not exists (select 1 from ${orders} where ${orders.id} = ${subOrders.orderId} and ${orders.reviewHeld} = 1)
    and ${noStockMoving(subOrders.id, subOrders.orderId)}`;
}

/** The ops alert of a dispatch that stopped after its stock shipped, and the prefix of its dedupe key. */
export const UNFINISHED_DISPATCH = "sla_dispatch_unfinished";

/**
 * A breach whose cancel was refused because its stock has shipped (the first SKU's object said
 * ALREADY_SHIPPED) while D1 still reads it open: a dispatch that stopped between its ships, or
 * between them and its D1 write. Only the vendor's dispatch again (shipping is idempotent per
 * hold) finishes it, and until then any SKU not shipped stays committed. Tells ops once per
 * sub-order, naming it and any AWB its dispatch claimed; the alert takes it out of the breach scan
 * (`dueScans`), its deadline left as it was so the vendor's queue still shows it overdue. False,
 * and nothing written, when it is no longer open: a dispatch racing the cancel has landed since.
 */
export async function reportUnfinishedDispatch(db: Db, subOrderId: string, at: string): Promise<boolean> {
  const sub = await findSubOrder(db, subOrderId);
  if (!sub || !["paid", "confirmed", "packed"].includes(sub.status)) return false;
  const label = sub.awb ? `, with ${sub.carrier} AWB ${sub.awb}` : "";
  await runBatch(db, [
    queueOpsAlert(db, {
      template: UNFINISHED_DISPATCH,
      dedupeKey: `${UNFINISHED_DISPATCH}:${sub.id}`,
      text: `Sub-order ${sub.id} of order ${sub.orderId} is past its dispatch deadline and cannot be cancelled: its stock has shipped while it still reads ${sub.status} (a dispatch stopped part-way${label}). The vendor (${sub.vendorId}) must dispatch it again with its AWB to finish it; until then the units of any SKU not shipped stay committed. The SLA watcher no longer retries it.`,
      params: {
        subOrderId: sub.id,
        orderId: sub.orderId,
        vendorId: sub.vendorId,
        status: sub.status,
        carrier: sub.carrier,
        awb: sub.awb,
      },
      at,
    }),
  ]);
  return true;
}

/** The longest nudge lead any vendor asked for, in minutes (0 with no vendors). */
export async function widestNudgeLeadMinutes(db: Db): Promise<number> {
  const lead = await db
    .select({ minutes: max(vendors.nudgeLeadMinutes) })
    .from(vendors)
    .get();
  return lead?.minutes ?? 0;
}

/** The sub-orders past their deadline and those to nudge now, by the scans of `dueScans`. */
export async function dueSubOrders(
  db: Db,
  scans: ReturnType<typeof dueScans>,
): Promise<{ breached: Due[]; toNudge: Due[] }> {
  const [breached, toNudge] = await Promise.all([db.all<Due>(scans.breached), db.all<Due>(scans.toNudge)]);
  return { breached, toNudge };
}

/** The sub-orders past their deadline alone, by the first scan of `dueScans` (a continued page). */
export function dueBreaches(db: Db, scans: ReturnType<typeof dueScans>): Promise<Due[]> {
  return db.all<Due>(scans.breached);
}

// One nudge per sub-order and deadline: a deadline restarted by an approval is owed one of its own.
const NUDGE_KEY = `'sub_order.sla_nudge:' || id || ':' || sla_dispatch_by`;

/**
 * Stamps the nudge on every sub-order given that is still open and has none yet, with its once-only timeline event
 * and outbox row: one batch of three statements however many there are (the ids travel as one
 * JSON parameter), so a tick's work stays a handful of D1 queries. Answers how many this call
 * stamped and the outbox rows it wrote, as written, so dispatching them reads nothing back; a
 * concurrent run's are not among them.
 */
export async function stampNudges(
  db: Db,
  ids: string[],
  nowIso: string,
  actor: { role: string; id: string | null },
): Promise<{ stamped: number; outbox: OutboxRow[] }> {
  if (ids.length === 0) return { stamped: 0, outbox: [] };
  const chosen = "(select value from json_each(?1))";
  const d1 = db.$client;
  const [stamped, , written] = await d1.batch([
    d1
      // Still open: a dispatch (or cancel) landing after the scan read it is owed no nudge.
      .prepare(
        `update sub_orders set nudged_at = ?2
         where id in ${chosen} and nudged_at is null and status in ('paid','confirmed','packed') returning id`,
      )
      .bind(JSON.stringify(ids), nowIso),
    d1
      .prepare(
        `insert into order_events (order_id, sub_order_id, type, at, actor_role, actor_id, reason, dedupe_key)
       select order_id, id, 'sub_order.sla_nudge', ?2, ?3, ?4, 'dispatch by ' || sla_dispatch_by, ${NUDGE_KEY}
       from sub_orders where id in ${chosen} and nudged_at is not null
       on conflict do nothing`,
      )
      .bind(JSON.stringify(ids), nowIso, actor.role, actor.id),
    d1
      .prepare(
        `insert into outbox (type, order_id, payload, dedupe_key, created_at)
       select 'sub_order.sla_nudge', order_id,
              json_object('orderId', order_id, 'subOrderId', id, 'vendorId', vendor_id, 'slaDispatchBy', sla_dispatch_by),
              ${NUDGE_KEY}, ?2
       from sub_orders where id in ${chosen} and nudged_at is not null
       on conflict do nothing
       returning id, type, order_id as orderId, payload, dedupe_key as dedupeKey, created_at as createdAt, dispatched_at as dispatchedAt, claimed_at as claimedAt`,
      )
      .bind(JSON.stringify(ids), nowIso),
  ]);
  const rows = (written?.results ?? []) as (Omit<OutboxRow, "payload"> & { payload: string })[];
  return {
    stamped: stamped?.results.length ?? 0,
    outbox: rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as unknown })),
  };
}

/**
 * The due sub-orders with their whole orders, as `loadSubOrder` answers for one, read for a page of
 * them in one batch of six statements rather than seven queries each.
 */
export async function loadDueSubOrders(
  db: Db,
  due: readonly Due[],
): Promise<{ agg: OrderAggregate; sub: SubOrderRow }[]> {
  const orderIds = [...new Set(due.map((d) => d.orderId))];
  if (orderIds.length === 0) return [];
  // The ids travel as one JSON parameter: any page fits D1's bound-parameter limit.
  const among = (column: SQLiteColumn) => sql`${column} in (select value from json_each(${JSON.stringify(orderIds)}))`;
  const [found, subs, lines, events, pays, routing] = await db.batch([
    db.select().from(orders).where(among(orders.id)),
    db.select().from(subOrders).where(among(subOrders.orderId)).orderBy(asc(subOrders.vendorId)),
    db.select().from(lineItems).where(among(lineItems.orderId)).orderBy(asc(lineItems.lineIndex), asc(lineItems.id)),
    db.select().from(orderEvents).where(among(orderEvents.orderId)).orderBy(asc(orderEvents.id)),
    db.select().from(payments).where(among(payments.orderId)),
    db.select().from(routingDecisions).where(among(routingDecisions.orderId)),
  ]);
  const aggs = new Map<string, OrderAggregate>();
  for (const order of found) {
    const route = routing.find((r) => r.orderId === order.id);
    aggs.set(order.id, {
      order,
      subOrders: subs.filter((s) => s.orderId === order.id),
      lines: lines.filter((l) => l.orderId === order.id),
      events: events.filter((e) => e.orderId === order.id),
      payment: pays.find((p) => p.orderId === order.id),
      ...(route ? { routing: route } : {}),
    });
  }
  return due.flatMap((d) => {
    const agg = aggs.get(d.orderId);
    const sub = agg?.subOrders.find((s) => s.id === d.id);
    return agg && sub ? [{ agg, sub }] : [];
  });
}
