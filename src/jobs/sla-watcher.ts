import { and, eq, inArray, isNotNull, isNull, lte, max } from "drizzle-orm";
import { database } from "../db/client";
import { insertEvent, insertOutbox } from "../db/orders";
import { orders, subOrders, vendors } from "../db/schema";
import { systemActor } from "../domain/principal";
import { isoSeconds } from "../domain/time";
import { dispatchOutbox } from "../gateways/order-events";
import { actOnSubOrder } from "../orders/fulfillment";

const BATCH = 500;
export const SLA_BREACH_REASON = "sla_breach_auto";

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
  // Served by the partial index sub_orders_sla_open (open statuses, deadline set), in deadline order.
  const due = await db
    .select({
      id: subOrders.id,
      orderId: subOrders.orderId,
      vendorId: subOrders.vendorId,
      slaDispatchBy: subOrders.slaDispatchBy,
      nudgedAt: subOrders.nudgedAt,
      leadHours: vendors.nudgeLeadHours,
    })
    .from(subOrders)
    .innerJoin(orders, eq(orders.id, subOrders.orderId))
    .innerJoin(vendors, eq(vendors.id, subOrders.vendorId))
    .where(
      and(
        inArray(subOrders.status, ["paid", "confirmed", "packed"]),
        isNotNull(subOrders.slaDispatchBy),
        lte(subOrders.slaDispatchBy, horizon),
        eq(orders.reviewHeld, false),
      ),
    )
    .orderBy(subOrders.slaDispatchBy)
    .limit(BATCH);

  const result = { scanned: due.length, nudged: 0, cancelled: 0, failed: 0 };
  const actor = systemActor("sla-watcher");
  for (const s of due) {
    const deadline = Date.parse(s.slaDispatchBy!);
    if (deadline <= now.getTime()) {
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
      continue;
    }
    if (s.nudgedAt || deadline - s.leadHours * 3_600_000 > now.getTime()) continue;
    const key = `sub_order.sla_nudge:${s.id}`;
    const [stamped] = await db.batch([
      db
        .update(subOrders)
        .set({ nudgedAt: nowIso })
        .where(and(eq(subOrders.id, s.id), isNull(subOrders.nudgedAt)))
        .returning({ id: subOrders.id }),
      insertEvent(db, {
        orderId: s.orderId,
        subOrderId: s.id,
        type: "sub_order.sla_nudge",
        at: nowIso,
        actorRole: actor.role,
        actorId: actor.id,
        reason: `dispatch by ${s.slaDispatchBy}`,
        dedupeKey: key,
      }),
      insertOutbox(db, {
        type: "sub_order.sla_nudge",
        orderId: s.orderId,
        payload: { orderId: s.orderId, subOrderId: s.id, vendorId: s.vendorId, slaDispatchBy: s.slaDispatchBy },
        dedupeKey: key,
        createdAt: nowIso,
      }),
    ]);
    if (stamped.length > 0) {
      result.nudged += 1;
      await dispatchOutbox(env, [key], now);
    }
  }
  return result;
}
