import { cancelRefundMinor, payAndTellCancel, refundOwedByCancel } from "../cancellation/sub-order-cancellation";
import type { SubOrderStatus, UndeliveredOutcome } from "../contracts/order-status";
import { ADJUSTMENT_KEY_TTL_MS } from "../contracts/stock";
import { database } from "../db/client";
import type { OrderAggregate, SubOrderRow } from "../db/orders";
import { findSubOrder, writeTransition } from "../db/sub-orders";
import type { Actor, Principal } from "../domain/principal";
import { transitions } from "../domain/sub-order-lifecycle";
import { isoSeconds } from "../domain/time";
import { adjustStock } from "../gateways/stock";
import type { Background } from "../platform/background";
import { type FulfillmentOutcome, illegal, visibleSubOrder } from "./fulfillment";

export type UndeliveredInput = {
  subOrderId: string;
  who: Principal | "system";
  actor: Actor;
  outcome: UndeliveredOutcome;
  /** Absent: a parcel back at its seller is restocked, a lost one is not. */
  restock?: boolean;
  note: string | null;
  now: Date;
};

/**
 * Closes a dispatched parcel that never reached the shopper: the carrier brought it back to its
 * seller (return to origin) or lost it. It is a cancel after dispatch: the shopper is refunded the
 * whole sub-order, shipping included, with a credit note; the vendor is owed nothing for it (its
 * payable is reversed by the refund's journal, as for any cancel); a parcel back at the seller has
 * its units put back on their warehouse's shelf. The move, its refund owed, the timeline and the
 * outbox are one batch guarded on the sub-order still being dispatched, so a delivery racing it
 * wins or loses whole. The same outcome again answers unchanged, and redoes a restock a stopped
 * call left undone (the stock objects keep its keys a week); the pending-refunds job pays a refund
 * a stopped call left owed.
 */
export async function closeUndelivered(
  env: Env,
  ctx: Background | undefined,
  input: UndeliveredInput,
): Promise<FulfillmentOutcome> {
  const found = await visibleSubOrder(env, input.subOrderId, input.who);
  if (!found) return { ok: false, code: "NOT_FOUND", detail: "No such sub-order" };
  const { agg, sub } = found;
  const status = sub.status as SubOrderStatus;
  if (status === "cancelled" && sub.cancellationReason === input.outcome) {
    const closed = closeOf(agg, sub);
    const restocked = Boolean((closed?.data as { restocked?: boolean } | null | undefined)?.restocked);
    // A repeat that asks otherwise of the shelf is not this close again: answering it 200 would say
    // the units were kept off (or put back) when the first close decided the other way.
    if (input.restock !== undefined && input.restock !== restocked) {
      return {
        ok: false,
        code: "CONFLICT",
        detail: restocked
          ? "Already closed with its units put back on the shelf; take damaged units off with a stock adjustment (reason damage)"
          : "Already closed without putting its units back; put them back with a stock adjustment (reason return)",
      };
    }
    // A repeat finishes the restock its first call decided, in case that call stopped before it.
    if (restocked && input.now.getTime() - Date.parse(closed!.at) <= RESTOCK_REPEAT_MS) {
      await putBack(env, agg, sub, input.actor);
    }
    return { ok: true, orderId: agg.order.id, changed: false };
  }
  if (!transitions.undelivered.from.includes(status)) {
    return illegal(status, "be closed as undelivered", `Only a dispatched parcel can be closed as undelivered`);
  }
  const restock = input.restock ?? input.outcome === "returned_to_origin";
  const db = database(env);
  const at = isoSeconds(input.now);
  const { changed, key } = await writeTransition(db, {
    agg,
    sub,
    from: transitions.undelivered.from,
    to: "cancelled",
    changes: { cancellationReason: input.outcome, cancelledAt: at },
    actor: input.actor,
    // What the timeline shows beside the close: the note (a carrier's claim number, say), else the outcome.
    reason: input.note ?? input.outcome,
    data: {
      reason: input.outcome,
      refundedMinor: cancelRefundMinor(agg, sub),
      cancelledBy: input.actor.role,
      restocked: restock,
      ...(input.note ? { note: input.note } : {}),
    },
    // As a cancel's: the shopper's message tells of the refund only once it is paid.
    announced: { refundedMinor: 0 },
    at,
    extra: refundOwedByCancel(db, agg, sub.id, input.outcome, at),
  });
  if (!changed) {
    // Someone moved it first: the same outcome is answered as a repeat is (refused if it asked
    // otherwise of the shelf than the close that landed), anything else is now illegal.
    const row = await findSubOrder(db, sub.id);
    if (row?.status === "cancelled" && row.cancellationReason === input.outcome) {
      return closeUndelivered(env, ctx, input);
    }
    return illegal((row?.status ?? status) as SubOrderStatus, "be closed as undelivered");
  }
  if (restock) await putBack(env, agg, sub, input.actor);
  await payAndTellCancel(env, ctx, sub.id, key, input.now);
  return { ok: true, orderId: agg.order.id, changed: true };
}

/** The parcel's units back in their warehouses, each line once under its own key. */
async function putBack(env: Env, agg: Pick<OrderAggregate, "lines">, sub: SubOrderRow, actor: Actor) {
  for (const line of agg.lines.filter((l) => l.subOrderId === sub.id)) {
    await adjustStock(env, {
      skuId: line.skuId,
      warehouseId: line.warehouseId,
      delta: line.qty,
      reason: "return",
      actor: `${actor.role}:${actor.id ?? ""}`,
      idempotencyKey: `undelivered:${sub.id}:${line.id}`,
    });
  }
}

// A day short of how long the stock objects keep a change's key: a repeat later could put the units back twice.
const RESTOCK_REPEAT_MS = ADJUSTMENT_KEY_TTL_MS - 24 * 3_600_000;

/** The close that landed: its event says whether it put the parcel's units back. */
const closeOf = (agg: OrderAggregate, sub: SubOrderRow) =>
  agg.events.find((e) => e.subOrderId === sub.id && e.type === "sub_order.cancelled");
