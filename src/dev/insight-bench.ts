import { rebuildRollups, refreshRollups } from "../analytics/refresh";
import type { RollupRun } from "../contracts/analytics";
import { isoSeconds } from "../domain/time";

/**
 * Fixtures for the analytics benchmark (local development only): a catalog and a year of order
 * history written straight into D1 by recursive CTEs, every id a formula of the tag and a row
 * number, so a million orders take statements, not requests. Order i is placed (i % days) days
 * before `at`, has 1 + i % 3 sub-orders at distinct vendors, one line each; 1 in 20 stays unpaid,
 * 1 in 50 of the rest is cancelled (half of those by SLA breach), 1 in 30 has a unit returned,
 * the others are dispatched and, once two days old, delivered. Each order has one event.
 */

export const INSIGHT_VENDORS = 50;
export const INSIGHT_SKUS_PER_VENDOR = 10;

const n = "with recursive n(i) as (select cast(?2 as integer) union all select i + 1 from n where i < ?2 + ?3 - 1)";

export async function seedInsightCatalog(env: Env, tag: string, at: Date): Promise<{ customerId: string }> {
  const now = isoSeconds(at);
  const vendors = `with recursive n(i) as (select 0 union all select i + 1 from n where i < ${INSIGHT_VENDORS - 1})`;
  const skus = `with recursive n(i) as (select 0 union all select i + 1 from n where i < ${INSIGHT_VENDORS * INSIGHT_SKUS_PER_VENDOR - 1})`;
  const customerId = `cus_i${tag}`;
  await env.DB.batch([
    env.DB.prepare("insert into customers (id, name, created_at) values (?1, 'Insight bench shopper', ?2)").bind(
      customerId,
      now,
    ),
    env.DB.prepare(
      `${vendors} insert into vendors (id, name, commission_bps, hourly_capacity, created_at)
       select 'ven_i' || ?1 || '_' || i, 'Insight vendor ' || i, 1000, 1000000, ?2 from n`,
    ).bind(tag, now),
    env.DB.prepare(
      `${vendors} insert into warehouses (id, vendor_id, name, lat, lng, postal_code, country, created_at)
       select 'wh_i' || ?1 || '_' || i, 'ven_i' || ?1 || '_' || i, 'Insight WH ' || i, 12.97, 77.59, '560001', 'IN', ?2 from n`,
    ).bind(tag, now),
    env.DB.prepare(
      `${skus} insert into products (id, title, created_at) select 'prd_i' || ?1 || '_' || i, 'Insight product ' || i, ?2 from n`,
    ).bind(tag, now),
    env.DB.prepare(
      `${skus} insert into skus (id, vendor_id, product_id, code, title, price_minor, currency, barcode, low_stock_threshold, created_at, updated_at)
       select 'sku_i' || ?1 || '_' || i, 'ven_i' || ?1 || '_' || (i / ${INSIGHT_SKUS_PER_VENDOR}), 'prd_i' || ?1 || '_' || i,
         'I-' || i, 'Insight item ' || i, 10000 + (i % 50) * 1000, 'INR', 'b' || ?1 || i, 5, ?2, ?2 from n`,
    ).bind(tag, now),
    env.DB.prepare(
      `${skus} insert into stock_levels (sku_id, warehouse_id, on_hand, available, held, committed, version, updated_at)
       select 'sku_i' || ?1 || '_' || i, 'wh_i' || ?1 || '_' || (i / ${INSIGHT_SKUS_PER_VENDOR}), 50 + i % 200, 50 + i % 200, 0, 0, 1, ?2 from n`,
    ).bind(tag, now),
  ]);
  return { customerId };
}

/** Orders `from` .. `from + count - 1` of the history, with their sub-orders, lines and events. */
export async function seedInsightOrders(
  env: Env,
  s: { tag: string; from: number; count: number; days: number; at: Date },
): Promise<{ orders: number }> {
  const at = isoSeconds(s.at);
  const created = `strftime('%Y-%m-%dT%H:%M:%SZ', ?4, '-' || (i % ?5) || ' days', '-' || ((i * 37) % 86400) || ' seconds')`;
  const paid = "(i % 20 <> 0)";
  const paidAt = `case when ${paid} then strftime('%Y-%m-%dT%H:%M:%SZ', ${created}, '+10 minutes') end`;
  const vendor = `((i * 7 + j * 13) % ${INSIGHT_VENDORS})`;
  const sku = `(${vendor} * ${INSIGHT_SKUS_PER_VENDOR} + i % ${INSIGHT_SKUS_PER_VENDOR})`;
  const price = `(10000 + (${sku} % 50) * 1000)`;
  const qty = "(1 + i % 3)";
  const subs = `${n}, j(j) as (select 0 union all select 1 union all select 2),
    s as (select i, j, ${created} as created, ${paidAt} as paid_at from n join j on j.j < 1 + i % 3)`;
  const status = `case when paid_at is null then 'pending_payment' when i % 50 = 1 then 'cancelled'
    when i % ?5 < 2 then 'dispatched' else 'delivered' end`;
  const dispatched = `case when paid_at is not null and i % 50 <> 1 then strftime('%Y-%m-%dT%H:%M:%SZ', paid_at, '+' || (2 + (i + j) % 40) || ' hours') end`;
  const delivered = `case when paid_at is not null and i % 50 <> 1 and i % ?5 >= 2 then strftime('%Y-%m-%dT%H:%M:%SZ', paid_at, '+' || (26 + (i + j) % 72) || ' hours') end`;
  const id = (prefix: string) => `'${prefix}' || ?1 || '_' || i`;
  const subId = `'sub_i' || ?1 || '_' || i || '_' || j`;
  const bind = [s.tag, s.from, s.count, at, s.days];
  await env.DB.batch([
    env.DB.prepare(
      `${subs} insert into orders (id, customer_id, status, payment_status, currency, total_minor, ship_to, ship_lat, ship_lng, hold_id, hold_expires_at, paid_at, created_at, updated_at)
       select ${id("ord_i")}, 'cus_i' || ?1, case when min(paid_at) is null then 'pending_payment' else 'paid' end,
         case when min(paid_at) is null then 'unpaid' else 'paid' end, 'INR', sum(${price} * ${qty}), '{}', 12.97, 77.59,
         ${id("hold_i")}, min(created), min(paid_at), min(created), min(created)
       from s group by i`,
    ).bind(...bind),
    env.DB.prepare(
      `${subs} insert into sub_orders (id, order_id, vendor_id, status, currency, subtotal_minor, shipping_minor, total_minor, commission_bps, commission_minor, nudged_at, dispatched_at, delivered_at, cancelled_at, cancellation_reason, created_at, updated_at)
       select ${subId}, ${id("ord_i")}, 'ven_i' || ?1 || '_' || ${vendor}, ${status}, 'INR', ${price} * ${qty}, 0, ${price} * ${qty}, 1000, ${price} * ${qty} / 10,
         case when i % 25 = 3 then paid_at end, ${dispatched}, ${delivered},
         case when paid_at is not null and i % 50 = 1 then paid_at end,
         case when paid_at is not null and i % 50 = 1 then case when i % 100 = 1 then 'sla_breach_auto' else 'vendor_cancelled' end end,
         created, created
       from s`,
    ).bind(...bind),
    env.DB.prepare(
      `${subs} insert into line_items (id, order_id, sub_order_id, line_index, sku_id, warehouse_id, qty, unit_price_minor, line_total_minor, currency, returned_qty)
       select 'li_i' || ?1 || '_' || i || '_' || j, ${id("ord_i")}, ${subId}, j, 'sku_i' || ?1 || '_' || ${sku}, 'wh_i' || ?1 || '_' || ${vendor},
         ${qty}, ${price}, ${price} * ${qty}, 'INR', case when paid_at is not null and i % 30 = 2 and j = 0 and i % ?5 >= 2 then 1 else 0 end
       from s`,
    ).bind(...bind),
    env.DB.prepare(
      `${subs} insert into order_events (order_id, type, at, actor_role)
       select ${id("ord_i")}, 'bench.' || ${status}, coalesce(paid_at, created), 'system' from s where j = 0`,
    ).bind(...bind),
    // The roll-ups count a sub-order nudged by its nudge events, as the SLA watcher writes them.
    env.DB.prepare(
      `${subs} insert into order_events (order_id, sub_order_id, type, at, actor_role)
       select ${id("ord_i")}, ${subId}, 'sub_order.sla_nudge', paid_at, 'system' from s where i % 25 = 3 and paid_at is not null`,
    ).bind(...bind),
  ]);
  return { orders: s.count };
}

/**
 * Fifteen minutes' worth of change on top of the history: `orders` new orders placed now, and
 * `lateChanges` returns of a unit on orders up to two weeks old. What one refresh catches up on.
 */
export async function seedInsightQuarterHour(
  env: Env,
  s: { tag: string; total: number; orders: number; lateChanges: number; days: number; at: Date },
) {
  await seedInsightOrders(env, { tag: s.tag, from: s.total, count: s.orders, days: 1, at: s.at });
  const at = isoSeconds(s.at);
  // Late returns on orders of the last two weeks (order i is placed i % days days ago).
  const late = `with recursive n(i) as (select 1 union all select i + 1 from n where i < ?2),
    picked as (select 'li_i' || ?1 || '_' || (((i * 7919) % cast(?3 / ?5 as integer)) * cast(?5 as integer) + i % 14) || '_0' as line from n)`;
  const bind = [s.tag, s.lateChanges, s.total, at, s.days];
  await env.DB.batch([
    env.DB.prepare(
      `${late} update line_items set returned_qty = min(qty, returned_qty + 1) where id in (select line from picked) and ?4 is not null`,
    ).bind(...bind),
    env.DB.prepare(
      `${late} insert into order_events (order_id, sub_order_id, type, at, actor_role, dedupe_key)
       select l.order_id, l.sub_order_id, 'sub_order.returned', ?4, 'customer', 'bench-late:' || l.id || ':' || ?4
       from picked join line_items l on l.id = picked.line where true on conflict do nothing`,
    ).bind(...bind),
  ]);
}

/**
 * Refresh pages one after another, at most `maxPages` (what the queue's continuations would run), so
 * a long rebuild spans several requests; `continued` says more is left.
 */
export async function drainRollups(
  env: Env,
  now: Date,
  w: { rebuild: boolean; maxPages: number },
): Promise<{ pages: number; last: RollupRun }> {
  let last = w.rebuild ? await rebuildRollups(env, now) : await refreshRollups(env, now);
  let pages = 1;
  while (last.continued && pages < w.maxPages) {
    last = await refreshRollups(env, now);
    pages += 1;
  }
  return { pages, last };
}
