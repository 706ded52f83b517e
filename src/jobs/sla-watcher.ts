import { max, type SQL, sql } from "drizzle-orm";
import { database } from "../db/client";
import { vendors } from "../db/schema";
import { type Actor, systemActor } from "../domain/principal";
import { isoSeconds } from "../domain/time";
import { actOnSubOrder } from "../fulfillment/fulfillment";
import { dispatchOutbox } from "../gateways/order-events";

// Per tick. A breach costs a few D1 queries and calls (stock, refund); all nudges of a tick cost
// three. Both stay well inside a Worker invocation's D1 query budget; the rest waits a minute.
const BREACH_BATCH = 100;
const NUDGE_BATCH = 500;
export const SLA_BREACH_REASON = "sla_breach_auto";

type Due = {
  id: string;
  orderId: string;
  vendorId: string;
  slaDispatchBy: string;
  nudgedAt: string | null;
  leadHours: number;
};

/**
 * The watcher's two scans, each served by its partial index in deadline order: the sub-orders
 * past their deadline (sub_orders_sla_open), and those not nudged yet whose vendor's lead has
 * begun (sub_orders_sla_unnudged). Nudged ones leave the second scan, so however many wait for
 * dispatch, the next tick reaches the ones that still need a nudge. The index is named because
 * without statistics SQLite would rather take sub_orders_status_sla and sort; that is also why
 * this is SQL text (the query builder cannot say INDEXED BY). `horizon` is now plus the widest
 * lead, the index range.
 */
export function slaScans(nowIso: string, horizon: string) {
  const scan = (index: string, where: SQL, limit: number) => sql`
    select s.id as id, s.order_id as orderId, s.vendor_id as vendorId, s.sla_dispatch_by as slaDispatchBy,
           s.nudged_at as nudgedAt, v.nudge_lead_hours as leadHours
    from sub_orders as s indexed by ${sql.identifier(index)}
    join orders as o on o.id = s.order_id
    join vendors as v on v.id = s.vendor_id
    where s.status in ('paid','confirmed','packed') and s.sla_dispatch_by is not null and o.review_held = 0
      and ${where}
    order by s.sla_dispatch_by
    limit ${limit}`;
  return {
    breached: scan("sub_orders_sla_open", sql`s.sla_dispatch_by <= ${nowIso}`, BREACH_BATCH),
    toNudge: scan(
      "sub_orders_sla_unnudged",
      sql`s.nudged_at is null and s.sla_dispatch_by > ${nowIso} and s.sla_dispatch_by <= ${horizon}
        and s.sla_dispatch_by <= strftime('%Y-%m-%dT%H:%M:%SZ', ${nowIso}, '+' || v.nudge_lead_hours || ' hours')`,
      NUDGE_BATCH,
    ),
  };
}

/**
 * Every minute: a sub-order still undispatched gets one nudge to its vendor once its vendor's
 * nudge lead before the deadline is reached, and is cancelled (`sla_breach_auto`: stock released,
 * its amount refunded with a credit note) once the deadline has passed. Orders held for review
 * have no running clock. Running twice, or twice at once, does nothing twice: the nudge is a
 * conditional stamp with a once-only event, and the cancellation is the guarded vendor-cancel step.
 */
export async function watchSlas(env: Env, now: Date) {
  const db = database(env);
  const nowIso = isoSeconds(now);
  const lead = await db
    .select({ hours: max(vendors.nudgeLeadHours) })
    .from(vendors)
    .get();
  const horizon = isoSeconds(now.getTime() + (lead?.hours ?? 0) * 3_600_000);
  const scans = slaScans(nowIso, horizon);
  const [breached, toNudge] = await Promise.all([db.all<Due>(scans.breached), db.all<Due>(scans.toNudge)]);

  const result = { scanned: breached.length + toNudge.length, nudged: 0, cancelled: 0, failed: 0 };
  const actor = systemActor("sla-watcher");
  for (const s of breached) {
    const outcome = await actOnSubOrder(env, undefined, {
      subOrderId: s.id,
      who: "system",
      actor,
      now,
      action: "cancel",
      reason: SLA_BREACH_REASON,
    });
    if (outcome.ok) result.cancelled += outcome.changed ? 1 : 0;
    else {
      result.failed += 1;
      console.error(JSON.stringify({ job: "sla-watcher", subOrderId: s.id, outcome }));
    }
  }
  const keys = await nudge(
    env,
    toNudge.map((s) => s.id),
    nowIso,
    actor,
  );
  result.nudged = keys.length;
  if (keys.length > 0) await dispatchOutbox(env, keys, now);
  return result;
}

/**
 * Stamps the nudge on every sub-order given that has none yet, with its once-only timeline event
 * and outbox row: one batch of three statements however many there are (the ids travel as one
 * JSON parameter), so a tick's work stays a handful of D1 queries. Answers the outbox keys of the
 * nudges this call made; a concurrent run's are not among them.
 */
async function nudge(env: Env, ids: string[], nowIso: string, actor: Actor): Promise<string[]> {
  if (ids.length === 0) return [];
  const chosen = "(select value from json_each(?1))";
  const [stamped] = await env.DB.batch<{ id: string }>([
    env.DB.prepare(
      `update sub_orders set nudged_at = ?2 where id in ${chosen} and nudged_at is null returning id`,
    ).bind(JSON.stringify(ids), nowIso),
    env.DB.prepare(
      `insert into order_events (order_id, sub_order_id, type, at, actor_role, actor_id, reason, dedupe_key)
       select order_id, id, 'sub_order.sla_nudge', ?2, ?3, ?4, 'dispatch by ' || sla_dispatch_by, 'sub_order.sla_nudge:' || id
       from sub_orders where id in ${chosen} and nudged_at is not null
       on conflict do nothing`,
    ).bind(JSON.stringify(ids), nowIso, actor.role, actor.id),
    env.DB.prepare(
      `insert into outbox (type, order_id, payload, dedupe_key, created_at)
       select 'sub_order.sla_nudge', order_id,
              json_object('orderId', order_id, 'subOrderId', id, 'vendorId', vendor_id, 'slaDispatchBy', sla_dispatch_by),
              'sub_order.sla_nudge:' || id, ?2
       from sub_orders where id in ${chosen} and nudged_at is not null
       on conflict do nothing`,
    ).bind(JSON.stringify(ids), nowIso),
  ]);
  return (stamped?.results ?? []).map((r) => `sub_order.sla_nudge:${r.id}`);
}
