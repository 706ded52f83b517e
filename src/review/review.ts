import { database, runBatch, type Statement } from "../db/client";
import { insertEvent, insertOutbox, loadOrder, setReviewHold } from "../db/orders";
import { insertApprovalOutbox, restartOrderSlaClocks } from "../db/sub-orders";
import type { Actor } from "../domain/principal";
import { isoSeconds } from "../domain/time";
import { dispatchOutbox } from "../gateways/order-events";
import { type Background, finishLater } from "../platform/background";

export type ReviewOutcome = { ok: true; changed: boolean } | { ok: false; code: "NOT_FOUND"; detail: string };

/**
 * Holds an order for review (it no longer exists for its vendors) or releases it to them.
 * Releasing restarts the SLA clock of every paid sub-order not yet dispatched from now, by its
 * vendor's hours: a vendor's time is counted from when it can see the order, and a deadline that
 * ran out during the review must not cancel the order at the watcher's next run. The release is
 * the vendors' news of the order (their feeds got nothing while it was held), so its event names
 * the sub-orders they now have to ship; the note goes only on the hold's event, which vendors
 * never get.
 */
export async function setReview(
  env: Env,
  ctx: Background | undefined,
  input: { orderId: string; hold: boolean; note: string | null; actor: Actor; now: Date },
): Promise<ReviewOutcome> {
  const db = database(env);
  const agg = await loadOrder(db, input.orderId);
  if (!agg) return { ok: false, code: "NOT_FOUND", detail: "No such order" };
  if (agg.order.reviewHeld === input.hold && (!input.hold || agg.order.reviewNote === input.note)) {
    return { ok: true, changed: false };
  }
  const at = isoSeconds(input.now);
  const type = input.hold ? "order.flagged" : "order.approved";
  // Numbered as well as timed: a hold, release and hold again within one second are three points
  // of the order's review, each with its event and outbox row (feeds decide by the last point).
  const points = agg.events.filter((e) => e.type === "order.flagged" || e.type === "order.approved").length;
  const key = `${type}:${agg.order.id}:${at}:${points}`;
  const statements: Statement[] = [
    setReviewHold(db, agg.order.id, {
      held: input.hold,
      note: input.hold ? input.note : agg.order.reviewNote,
      at,
    }),
    insertEvent(db, {
      orderId: agg.order.id,
      type,
      at,
      actorRole: input.actor.role,
      actorId: input.actor.id,
      reason: input.note,
      dedupeKey: key,
    }),
    ...(input.hold
      ? [
          insertOutbox(db, {
            type,
            orderId: agg.order.id,
            payload: { orderId: agg.order.id, note: input.note },
            dedupeKey: key,
            createdAt: at,
          }),
        ]
      : [
          insertApprovalOutbox(db, { orderId: agg.order.id, type, dedupeKey: key, at }),
          restartOrderSlaClocks(db, agg.order.id, at, at),
        ]),
  ];
  await runBatch(db, statements);
  await finishLater(ctx, dispatchOutbox(env, [key], input.now));
  return { ok: true, changed: true };
}

/** The note an order held by the value rule carries. */
export const AUTO_REVIEW_NOTE = "auto: order value";

/**
 * The configurable review rule: an order worth `thresholdMinor` or more is held for ops to look
 * at before its vendors see it. A threshold of 0 turns the rule off.
 */
export function shouldHoldForReview(totalMinor: number, thresholdMinor: number): boolean {
  return thresholdMinor > 0 && totalMinor >= thresholdMinor;
}
