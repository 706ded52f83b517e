import { REASSIGNED } from "../contracts/order-status";
import { LATENCY_BUCKET_BOUNDS_MINUTES } from "../domain/latency-histogram";
import type { Db } from "./client";

/**
 * The analytics roll-ups' writes. A day is recomputed whole, in one batch, from the orders placed
 * in it (`start` <= created_at < `end`, the day's span in UTC): its old rows deleted, its new rows
 * inserted from the orders as they stand when the batch runs, and its dirty mark cleared. A batch is
 * one transaction, so whatever it read is what it wrote; two refreshes of one day write the same
 * rows, and a change that lands after the batch marks the day dirty again through its event.
 */

type D1 = D1Database;

const ROLLUP_TABLES = [
  "rollup_platform_days",
  "rollup_vendor_days",
  "rollup_sku_days",
  "rollup_warehouse_days",
  "rollup_status_days",
  "rollup_latency_days",
] as const;

/**
 * Not a sub-order an override emptied into another vendor's: its lines ship in the other one, so it
 * is no sub-order of the order's and no cancellation (the order view leaves it out too).
 */
const NOT_EMPTIED = `not (s.status = 'cancelled' and s.cancellation_reason is '${REASSIGNED}')`;

/** A day's orders and their paid sub-orders, the base of every roll-up; ?2 and ?3 bound the day in UTC. */
const PAID_SUB_ORDERS = `select s.* from sub_orders s join orders o on o.id = s.order_id
  where o.created_at >= ?2 and o.created_at < ?3 and o.paid_at is not null and ${NOT_EMPTIED}`;

/**
 * The paid sub-orders their vendors know of: an order held for review does not exist for its vendors
 * (their lists, exports and earnings leave it out), so nor does it in their figures, until it is
 * released; its approval is an event, which marks its day dirty. One cancelled while held (fraud, say)
 * stays held, so it is never a cancellation of a vendor that never saw it. The platform's figures
 * keep it.
 */
const VENDOR_SUB_ORDERS = `${PAID_SUB_ORDERS} and not o.review_held`;

/**
 * Whether the sub-order named `s` was ever nudged, from its nudge events found through its order's:
 * its `nudged_at` holds only the current deadline's nudge (an approval's new deadline clears it).
 */
const nudged = (s: string) => `exists (select 1 from order_events e where e.order_id = ${s}.order_id
  and e.sub_order_id = ${s}.id and e.type = 'sub_order.sla_nudge')`;

/** Minutes between two ISO times, as the histogram buckets them (domain/latency-histogram.ts). */
function bucketSql(minutes: string): string {
  const arms = LATENCY_BUCKET_BOUNDS_MINUTES.map((b, i) => `when ${minutes} <= ${b} then ${i}`).join(" ");
  return `case ${arms} else ${LATENCY_BUCKET_BOUNDS_MINUTES.length} end`;
}

// Refunds are found from the day's orders by index (CROSS JOIN keeps that order; a plain join let the
// planner scan every refund ever made), of paid orders only, as GMV is: a payment that came after
// its order was given up is refunded whole and was never a sale.
const platformSql = `with o as materialized (select id, total_minor, paid_at from orders where created_at >= ?2 and created_at < ?3),
  s as materialized (select ps.*, exists (select 1 from line_items l where l.sub_order_id = ps.id and l.returned_qty > 0) as returned,
        ${nudged("ps")} as nudged
        from (${PAID_SUB_ORDERS}) ps)
  insert into rollup_platform_days (day, gmv_minor, refunded_minor, orders_placed, orders_paid, sub_orders,
    cancelled_sub_orders, sla_breaches, sla_nudges, returned_sub_orders, dispatched_sub_orders, delivered_sub_orders)
  select ?1,
    (select coalesce(sum(total_minor), 0) from o where paid_at is not null),
    (select coalesce(sum(r.amount_minor), 0) from o cross join refunds r on r.order_id = o.id where o.paid_at is not null),
    (select count(*) from o),
    (select count(*) from o where paid_at is not null),
    (select count(*) from s),
    (select count(*) from s where status = 'cancelled'),
    (select count(*) from s where cancellation_reason = ?4),
    (select count(*) from s where nudged),
    (select count(*) from s where returned),
    (select count(*) from s where dispatched_at is not null),
    (select count(*) from s where delivered_at is not null)
  where exists (select 1 from o)`;

// Sales, units and refunds leave cancelled sub-orders out: nothing was sold, and a cancel's refund gives
// back a sale the vendor never counted, so sales less refunded is what the vendor kept (refunded is
// its returns' refunds). Counts of cancellations keep them. The platform's pair keeps both: GMV
// counts the cancelled sub-order's payment, refunds its refund.
// Each sub-order's lines and refunds are summed by index lookups from the day's few sub-orders, never
// by a scan of those tables (the planner, without statistics, would otherwise scan them whole).
const vendorSql = `with s as materialized (${VENDOR_SUB_ORDERS}),
  x as (select s.*,
      (select coalesce(sum(l.qty), 0) from line_items l where l.sub_order_id = s.id) as units,
      (select coalesce(sum(l.returned_qty), 0) from line_items l where l.sub_order_id = s.id) as returned,
      (select coalesce(sum(r.amount_minor), 0) from refunds r where r.order_id = s.order_id and r.sub_order_id = s.id) as refunded,
      ${nudged("s")} as nudged
    from s)
  insert into rollup_vendor_days (day, vendor_id, sales_minor, refunded_minor, sub_orders, units, returned_units,
    cancelled_sub_orders, sla_breaches, sla_nudges, dispatched_sub_orders, delivered_sub_orders)
  select ?1, vendor_id,
    coalesce(sum(case when status <> 'cancelled' then total_minor end), 0),
    coalesce(sum(case when status <> 'cancelled' then refunded end), 0),
    count(*),
    coalesce(sum(case when status <> 'cancelled' then units end), 0),
    sum(returned),
    count(case when status = 'cancelled' then 1 end),
    count(case when cancellation_reason = ?4 then 1 end),
    count(case when nudged then 1 end),
    count(dispatched_at),
    count(delivered_at)
  from x group by vendor_id`;

// CROSS JOIN keeps SQLite's join order: the day's sub-orders first, their lines by index.
const soldLines = `from s cross join line_items l on l.sub_order_id = s.id where s.status <> 'cancelled'`;

const skuSql = `with s as materialized (${VENDOR_SUB_ORDERS})
  insert into rollup_sku_days (vendor_id, day, sku_id, product_id, units, sales_minor, returned_units)
  select s.vendor_id, ?1, l.sku_id, (select k.product_id from skus k where k.id = l.sku_id),
    sum(l.qty), sum(l.line_total_minor), sum(l.returned_qty)
  ${soldLines} group by s.vendor_id, l.sku_id`;

const warehouseSql = `with s as materialized (${VENDOR_SUB_ORDERS})
  insert into rollup_warehouse_days (day, warehouse_id, vendor_id, lines, units, sales_minor, returned_units)
  select ?1, l.warehouse_id, min(s.vendor_id), count(*), sum(l.qty), sum(l.line_total_minor), sum(l.returned_qty)
  ${soldLines} group by l.warehouse_id`;

// Every sub-order of the day's orders, paid or not: the status mix includes those awaiting payment.
const statusSql = `insert into rollup_status_days (day, vendor_id, status, sub_orders, total_minor)
  select ?1, s.vendor_id, s.status, count(*), sum(s.total_minor)
  from sub_orders s join orders o on o.id = s.order_id
  where o.created_at >= ?2 and o.created_at < ?3 and ${NOT_EMPTIED}
  group by s.vendor_id, s.status`;

// A vendor's histogram leaves out its orders held for review, as its other figures do; the platform's keeps them.
function latencySql(metric: "dispatch" | "delivery"): string {
  const column = metric === "dispatch" ? "dispatched_at" : "delivered_at";
  const minutes = `(julianday(s.${column}) - julianday(o.paid_at)) * 1440`;
  const samples = `select s.vendor_id, o.review_held as held, ${bucketSql(minutes)} as bucket
    from sub_orders s join orders o on o.id = s.order_id
    where o.created_at >= ?2 and o.created_at < ?3 and o.paid_at is not null and s.${column} is not null`;
  return `with x as materialized (${samples})
  insert into rollup_latency_days (vendor_id, metric, day, bucket, count)
  select vendor_id, '${metric}', ?1, bucket, count(*) from x where not held group by vendor_id, bucket
  union all
  select '*', '${metric}', ?1, bucket, count(*) from x group by bucket`;
}

const RECOMPUTE = [
  platformSql,
  vendorSql,
  skuSql,
  warehouseSql,
  statusSql,
  latencySql("dispatch"),
  latencySql("delivery"),
];

/** One day's roll-up rows replaced by what its orders say now, and its dirty mark cleared. */
export async function recomputeDay(
  db: Db,
  d: { day: string; start: string; end: string; slaBreachReason: string },
): Promise<void> {
  const d1: D1 = db.$client;
  await d1.batch([
    ...ROLLUP_TABLES.map((t) => d1.prepare(`delete from ${t} where day = ?1`).bind(d.day)),
    // D1 wants exactly the parameters a statement names: the breach reason (?4) only where used.
    ...RECOMPUTE.map((q) =>
      d1.prepare(q).bind(...[d.day, d.start, d.end, d.slaBreachReason].slice(0, q.includes("?4") ? 4 : 3)),
    ),
    d1.prepare("delete from rollup_dirty_days where day = ?1").bind(d.day),
  ]);
}

export type RollupState = { watermark: number; asOf: string | null };

export async function readRollupState(db: Db): Promise<RollupState> {
  const d1: D1 = db.$client;
  const [, row] = await d1.batch<{ watermark: number; as_of: string | null }>([
    d1.prepare("insert into rollup_state (id, watermark) values (1, 0) on conflict do nothing"),
    d1.prepare("select watermark, as_of from rollup_state where id = 1"),
  ]);
  const r = row?.results[0];
  return { watermark: r?.watermark ?? 0, asOf: r?.as_of ?? null };
}

/** The next events after the watermark, each with the day-defining time of its order. */
export async function eventsAfter(
  db: Db,
  watermark: number,
  limit: number,
): Promise<{ id: number; orderCreatedAt: string }[]> {
  const rows = await db.$client
    .prepare(
      `select e.id, o.created_at from order_events e join orders o on o.id = e.order_id
       where e.id > ?1 order by e.id limit ?2`,
    )
    .bind(watermark, limit)
    .all<{ id: number; created_at: string }>();
  return rows.results.map((r) => ({ id: r.id, orderCreatedAt: r.created_at }));
}

/**
 * Marks the days dirty and moves the watermark from `from` to `to`, all or nothing: if another
 * refresh moved it first, the watermark update sets NULL into a NOT NULL column, the batch (one
 * transaction) fails and nothing of it is written. Answers false then.
 */
export async function advanceWatermark(
  db: Db,
  w: { from: number; to: number; days: readonly string[]; at: string },
): Promise<boolean> {
  const d1: D1 = db.$client;
  try {
    await d1.batch([
      d1
        .prepare("update rollup_state set watermark = case when watermark = ?1 then ?2 else null end where id = 1")
        .bind(w.from, w.to),
      markDirty(d1, w.days, w.at),
    ]);
    return true;
  } catch (err) {
    if (String(err).includes("NOT NULL constraint failed: rollup_state.watermark")) return false;
    throw err;
  }
}

function markDirty(d1: D1, days: readonly string[], at: string): D1PreparedStatement {
  // One JSON parameter however many days: D1's 100-parameter limit does not come into it.
  return d1
    .prepare(
      "insert into rollup_dirty_days (day, marked_at) select value, ?2 from json_each(?1) where true on conflict do nothing",
    )
    .bind(JSON.stringify(days), at);
}

export async function dirtyDays(db: Db, limit: number): Promise<string[]> {
  const rows = await db.$client
    .prepare("select day from rollup_dirty_days order by day desc limit ?1")
    .bind(limit)
    .all<{ day: string }>();
  return rows.results.map((r) => r.day);
}

/** Records that the roll-ups had caught up at `at`, unless the watermark moved meanwhile. */
export async function markCaughtUp(db: Db, watermark: number, at: string): Promise<void> {
  await db.$client
    .prepare(
      `update rollup_state set as_of = ?2 where id = 1 and watermark = ?1
       and not exists (select 1 from rollup_dirty_days)`,
    )
    .bind(watermark, at)
    .run();
}

/** The first and last times an order was placed; null with no orders. */
export async function orderTimeSpan(db: Db): Promise<{ first: string; last: string } | null> {
  const row = await db.$client
    .prepare("select min(created_at) as first, max(created_at) as last from orders")
    .first<{ first: string | null; last: string | null }>();
  return row?.first && row.last ? { first: row.first, last: row.last } : null;
}

/**
 * A full rebuild's start: every day from `days` marked dirty, rows of any other day dropped, and the
 * watermark set to the newest event (whatever happened until now is in some day that will be
 * recomputed from the orders themselves). A refresh then recomputes the days, a page at a time.
 */
export async function startRebuild(db: Db, r: { days: readonly string[]; at: string }): Promise<number> {
  const d1: D1 = db.$client;
  const first = r.days[0] ?? "9999-12-31";
  const last = r.days.at(-1) ?? "0000-01-01";
  const results = await d1.batch<{ watermark: number }>([
    ...ROLLUP_TABLES.map((t) => d1.prepare(`delete from ${t} where day < ?1 or day > ?2`).bind(first, last)),
    markDirty(d1, r.days, r.at),
    d1.prepare(
      `insert into rollup_state (id, watermark, as_of) values (1, (select coalesce(max(id), 0) from order_events), null)
       on conflict (id) do update set watermark = excluded.watermark, as_of = null returning watermark`,
    ),
  ]);
  return results.at(-1)?.results[0]?.watermark ?? 0;
}

/**
 * The stock mirror as it stands, recorded as the day's snapshot per SKU and warehouse (a later run
 * the same day overwrites it, so each day keeps its last). One statement, whatever the catalog's size.
 * A closed warehouse's units are on hand but not available: not for sale, as reorder suggestions
 * and low-stock alerts count them.
 */
export async function snapshotStock(db: Db, day: string): Promise<void> {
  await db.$client
    .prepare(
      `insert into stock_snapshots (vendor_id, day, sku_id, warehouse_id, on_hand, available)
       select k.vendor_id, ?1, l.sku_id, l.warehouse_id, l.on_hand,
              case when w.status = 'active' then l.available else 0 end
       from stock_levels l join skus k on k.id = l.sku_id join warehouses w on w.id = l.warehouse_id
       where true
       on conflict (vendor_id, day, sku_id, warehouse_id) do update set
         on_hand = excluded.on_hand, available = excluded.available
       where on_hand <> excluded.on_hand or available <> excluded.available`,
    )
    .bind(day)
    .run();
}
