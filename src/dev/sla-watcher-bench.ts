import type { SQL } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { uniqueViolation } from "../db/constraints";
import { isoSeconds } from "../domain/time";
import { slaScans } from "../jobs/sla-watcher";

/**
 * Fixtures for the SLA watcher benchmark (local development only): many open sub-orders written
 * straight into D1, each under its own paid parent, far more than checkout could place in a
 * benchmark's time. One in `nudgeEvery` falls inside a 6 h nudge lead of `at`; the rest are due
 * 8 to 72 hours after it. They have no lines and no payment, so only the scan and the nudge are
 * exercised on them; breaches are left to real orders.
 */
export async function seedOpenSubOrders(
  env: Env,
  input: { tag: string; count: number; nudgeEvery: number; at: Date; customerId: string; vendorId: string },
): Promise<
  | { ok: true; seeded: number; inNudgeLead: number; notYetDue: number }
  | { ok: false; code: "UNKNOWN_PARTY" | "TAG_USED" }
> {
  const created = isoSeconds(new Date());
  const at = isoSeconds(input.at);
  const ids = "with recursive n(i) as (select 0 union all select i + 1 from n where i < ?1 - 1)";
  const order = `'ord_b' || ?2 || '_' || i`;
  // In the lead: 1 to 5 hours before the deadline; otherwise 8 to 72 hours away.
  const deadline = `strftime('%Y-%m-%dT%H:%M:%SZ', ?3, case when i % ?4 = 0 then '+' || (1 + i % 5) || ' hours' else '+' || (8 + i % 64) || ' hours' end, '+' || (i % 3600) || ' seconds')`;
  const refused = await env.DB.batch([
    env.DB.prepare(
      `${ids} insert into orders (id, customer_id, status, payment_status, currency, total_minor, ship_to, ship_lat, ship_lng, hold_id, hold_expires_at, review_held, paid_at, created_at, updated_at)
       select ${order}, ?5, 'paid', 'paid', 'INR', 19900, '{}', 12.97, 77.59, 'hold_b' || ?2 || '_' || i, ?7, 0, ?7, ?7, ?7 from n`,
    ).bind(input.count, input.tag, at, input.nudgeEvery, input.customerId, input.vendorId, created),
    env.DB.prepare(
      `${ids} insert into sub_orders (id, order_id, vendor_id, status, currency, subtotal_minor, shipping_minor, total_minor, commission_bps, commission_minor, sla_dispatch_by, created_at, updated_at)
       select 'sub_b' || ?2 || '_' || i, ${order}, ?6, 'paid', 'INR', 19900, 0, 19900, 1000, 1990, ${deadline}, ?7, ?7 from n`,
    ).bind(input.count, input.tag, at, input.nudgeEvery, input.customerId, input.vendorId, created),
  ]).then(() => null, refusal);
  if (refused) return { ok: false, code: refused };
  const mix = await env.DB.prepare(
    `select count(*) as total, sum(sla_dispatch_by <= strftime('%Y-%m-%dT%H:%M:%SZ', ?2, '+6 hours')) as inLead
     from sub_orders where id like 'sub_b' || ?1 || '_%'`,
  )
    .bind(input.tag, at)
    .first<{ total: number; inLead: number }>();
  const seeded = mix?.total ?? 0;
  return { ok: true, seeded, inNudgeLead: mix?.inLead ?? 0, notYetDue: seeded - (mix?.inLead ?? 0) };
}

/** The constraints decide: an unknown customer or vendor fails a foreign key, a reused tag a unique id. */
function refusal(err: unknown): "UNKNOWN_PARTY" | "TAG_USED" {
  const message = err instanceof Error ? err.message : "";
  if (/FOREIGN KEY constraint failed/.test(message)) return "UNKNOWN_PARTY";
  if (uniqueViolation(err)) return "TAG_USED";
  throw err;
}

/** What the watcher has done so far, and whether anything happened twice (it must not). */
export async function slaAudit(env: Env, tag: string) {
  const twice = (table: string, type?: string) =>
    `(select count(*) from (select sub_order_id from ${table} where sub_order_id is not null${type ? ` and type = '${type}'` : ""} group by sub_order_id having count(*) > 1))`;
  const row = await env.DB.prepare(
    `select
       (select count(*) from sub_orders where id like 'sub_b' || ?1 || '_%' and nudged_at is not null) as seededNudged,
       (select count(*) from sub_orders where id like 'sub_b' || ?1 || '_%' and status = 'paid') as seededOpen,
       ${twice("order_events", "sub_order.sla_nudge")} as nudgedTwice,
       ${twice("order_events", "sub_order.cancelled")} as cancelledTwice,
       ${twice("refunds")} as refundedTwice,
       ${twice("credit_notes")} as creditedTwice`,
  )
    .bind(tag)
    .first<Record<string, number>>();
  return row ?? {};
}

/** SQLite's plan for the watcher's two scans at `now`: each must search its partial index. */
export async function slaQueryPlans(env: Env, now: Date, leadHours: number) {
  const scans = slaScans(isoSeconds(now), isoSeconds(now.getTime() + leadHours * 3_600_000));
  const dialect = new SQLiteAsyncDialect();
  const plan = async (q: SQL) => {
    const { sql, params } = dialect.sqlToQuery(q);
    const rows = await env.DB.prepare(`explain query plan ${sql}`)
      .bind(...params)
      .all<{ detail: string }>();
    return rows.results.map((r) => r.detail);
  };
  return { breached: await plan(scans.breached), toNudge: await plan(scans.toNudge) };
}
