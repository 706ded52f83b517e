import type { SubOrderStatus } from "../contracts/order-status";
import { type Db, database, type Statement } from "../db/client";
import type { OrderState, SubOrderRow } from "../db/orders";
import { owePendingRefund } from "../db/payments";
import { stillBreached } from "../db/sla";
import { findSubOrder, loadSubOrder, writeTransition } from "../db/sub-orders";
import type { Actor } from "../domain/principal";
import { allowedFrom, transition, transitions } from "../domain/sub-order-lifecycle";
import { isoSeconds } from "../domain/time";
import { dispatchOutbox } from "../gateways/order-events";
import { type Allocation, stockObject } from "../gateways/stock";
import { payOwedRefund, tellCancelRefund } from "../money/owed-refunds";
import { type Background, finishLater } from "../platform/background";
import { releaseStrayUnits } from "./stray-units";

export type CancelSubOrderInput = {
  subOrderId: string;
  reason: string;
  actor: Actor;
  now: Date;
  /**
   * The SLA watcher's breach: lands only while the deadline has passed at `now` and the order is not
   * held for review (`stillBreached`), and gives back to the order what it released when it does not.
   */
  slaBreach?: boolean;
};

export type CancelSubOrderOutcome =
  | {
      ok: true;
      changed: boolean;
      refundedMinor: number;
      creditNoteId: string | null;
      /** The cancel landed but the provider has not refunded yet: the `pending-refunds` job retries. */
      refundPending: boolean;
    }
  | {
      ok: false;
      code: "NOT_FOUND" | "ILLEGAL_TRANSITION";
      detail: string;
      allowed?: string[];
    };

/**
 * Cancels one vendor's part of a paid order before it ships (the vendor cannot fulfil, ops, or
 * the SLA watcher): its stock goes back to its warehouses, exactly its amount is refunded with a
 * credit note, and the sub-order, parent status, timeline and outbox change in one batch.
 * Running it twice, or twice at once, refunds, records and cancels once.
 */
export async function cancelSubOrder(
  env: Env,
  ctx: Background | undefined,
  input: CancelSubOrderInput,
): Promise<CancelSubOrderOutcome> {
  const found = await loadSubOrder(database(env), input.subOrderId);
  if (!found) return { ok: false, code: "NOT_FOUND", detail: "No such sub-order" };
  return cancelLoadedSubOrder(env, ctx, found, input);
}

/** `cancelSubOrder` for a sub-order the caller has already loaded (and checked the caller may see). */
export async function cancelLoadedSubOrder(
  env: Env,
  ctx: Background | undefined,
  found: { agg: OrderState; sub: SubOrderRow },
  input: CancelSubOrderInput,
): Promise<CancelSubOrderOutcome> {
  const landed = await landCancel(env, found, input, true);
  if (!landed.ok) return landed;
  if (!landed.changed) {
    if (landed.key) await finishLater(ctx, dispatchOutbox(env, [landed.key], input.now));
    return { ok: true, changed: false, refundedMinor: 0, creditNoteId: null, refundPending: false };
  }
  const paid = await payAndTellCancel(env, ctx, found.sub.id, landed.key, input.now);
  return {
    ok: true,
    changed: true,
    refundedMinor: paid.refundedMinor,
    creditNoteId: paid.creditNoteId,
    refundPending: paid.pending,
  };
}

export type LandedCancel =
  | {
      ok: true;
      changed: boolean;
      key: string | null;
      /** With `announce` false, the move's outbox row, unwritten: the caller's to write if no whole-order event comes. */
      announcement: Statement | null;
    }
  | { ok: false; code: "ILLEGAL_TRANSITION"; detail: string; allowed: string[] };

/**
 * The cancel itself, every path's (vendor, ops, bulk, SLA watcher, whole-order cancel): the stock
 * objects decide first (a release is refused once the units shipped, and dispatch is refused once
 * they are released), then the cancel is written in D1 guarded on the statuses it may leave, with
 * the refund it owes in the same batch. Only the call whose write landed (`changed`) pays that
 * refund, so a cancel that lost a race to another cancel, a reassignment or a dispatch refunds
 * nothing; that call then frees what a reassignment into the sub-order moved in since the release.
 * `announce` false leaves the shopper's message to a whole-order event, if one comes.
 */
export async function landCancel(
  env: Env,
  { agg, sub }: { agg: OrderState; sub: SubOrderRow },
  input: CancelSubOrderInput,
  announce: boolean,
): Promise<LandedCancel> {
  const from = sub.status as SubOrderStatus;
  const move = transition(from, "cancel");
  if (!move.ok) {
    const detail =
      from === "pending_payment"
        ? "An unpaid order is cancelled as a whole: POST /v1/orders/{orderId}/cancel"
        : `A ${from} sub-order cannot be cancelled${from === "dispatched" || from === "delivered" ? "; return it instead" : ""}`;
    return { ok: false, code: "ILLEGAL_TRANSITION", detail, allowed: move.allowed };
  }
  if (move.repeat) return { ok: true, changed: false, key: null, announcement: null };

  const skuIds = [...new Set(agg.lines.filter((l) => l.subOrderId === sub.id).map((l) => l.skuId))];
  const released = await releaseInOrder(env, agg.order.holdId, skuIds, input.reason);
  if (!released) {
    return {
      ok: false,
      code: "ILLEGAL_TRANSITION",
      detail: "It has left the warehouse; return it instead",
      allowed: allowedFrom("dispatched"),
    };
  }

  const db = database(env);
  const at = isoSeconds(input.now);
  const refundedMinor = cancelRefundMinor(agg, sub);
  const { changed, key, announcement } = await writeTransition(db, {
    agg,
    sub,
    // Any step before dispatch may be cancelled, so a concurrent confirm or pack does not make it miss.
    from: transitions.cancel.from,
    to: "cancelled",
    // Nothing shipped, so no AWB stays on it: a dispatch that claimed one and stopped leaves none behind.
    changes: { cancellationReason: input.reason, cancelledAt: at, carrier: null, awb: null },
    ...(input.slaBreach ? { guard: stillBreached(at) } : {}),
    actor: input.actor,
    reason: input.reason,
    // The actor's role is what counts against a vendor's reliability (vendor or SLA breach vs ops).
    data: { reason: input.reason, refundedMinor, cancelledBy: input.actor.role },
    // The shopper's message tells of no refund until it is paid (`tellCancelRefund`): sent by the
    // sweeper before then (a slow provider, a stopped Worker), it must not promise one.
    announced: { refundedMinor: 0 },
    at,
    extra: refundOwedByCancel(db, agg, sub.id, input.reason, at),
    announce,
  });
  if (changed) await releaseStrayUnits(env, agg.order, sub.id);
  else if (input.slaBreach) await holdAgain(env, agg, sub.id, released, input.now);
  return { ok: true, changed, key, announcement };
}

/** What a cancel tells it refunds; the refund itself is the total the cancel wrote (see `owePendingRefund`). */
export function cancelRefundMinor(agg: OrderState, sub: SubOrderRow): number {
  const payment = agg.payment;
  return payment?.status === "succeeded" ? Math.min(sub.totalMinor, payment.amountMinor) : 0;
}

/**
 * After a cancel landed: its refund paid, then the shopper's message (`key`, the cancel's outbox
 * row) sent, telling of the refund only once it was paid.
 */
export async function payAndTellCancel(
  env: Env,
  ctx: Background | undefined,
  subOrderId: string,
  key: string | null,
  now: Date,
) {
  const paid = await payOwedRefund(env, subOrderId, now);
  if (key) {
    await tellCancelRefund(env, subOrderId, key, paid, now);
    await finishLater(ctx, dispatchOutbox(env, [key], now));
  }
  return paid;
}

/** The refund a paid sub-order's cancel owes, for the cancel's batch (see `owePendingRefund`). */
export function refundOwedByCancel(db: Db, agg: OrderState, subOrderId: string, reason: string, at: string) {
  const payment = agg.payment;
  return payment
    ? [owePendingRefund(db, { subOrderId, orderId: agg.order.id, paymentId: payment.id, reason, at })]
    : [];
}

/**
 * Releases the sub-order's SKUs one at a time in a fixed order. Dispatch ships them in the same
 * order, so the first SKU's object decides a race between the two: once it has shipped, nothing is
 * released and the answer is null; once it is released, dispatch is refused there. Answers where
 * each SKU's units were.
 */
async function releaseInOrder(
  env: Env,
  holdId: string,
  skuIds: string[],
  reason: string,
): Promise<Map<string, Allocation[]> | null> {
  const released = new Map<string, Allocation[]>();
  for (const skuId of [...skuIds].sort()) {
    const r = await stockObject(env, skuId).release(holdId, reason);
    if (!r.ok) return null;
    released.set(skuId, r.allocations);
  }
  return released;
}

/** How long units held again stay held before their commit, the next call, makes them the order's for good. */
const HOLD_AGAIN_MS = 15 * 60 * 1000;

/**
 * An SLA breach's cancel that did not land though its sub-order is still open (flagged for review,
 * or given a new deadline, after the watcher read it): the units its release gave back are held
 * again for the order in the warehouses they left, and committed. A reopen claims only a released
 * hold, so a twin run that restored them first, or a move that refilled the hold, is left as it
 * is. A cancel of the sub-order landing meanwhile is met as a racing move is: its SKUs, no longer
 * named by a live line, are freed again (`releaseStrayUnits`), the order reassigned or not, since
 * that cancel's release may have found the hold already released and its own check frees only a
 * moved order's units. Units sold in the moment between are not there to take back: that is
 * logged, and the invariant audit alerts ops of the short line.
 */
async function holdAgain(
  env: Env,
  agg: OrderState,
  subOrderId: string,
  released: Map<string, Allocation[]>,
  now: Date,
): Promise<void> {
  const sub = await findSubOrder(database(env), subOrderId);
  if (!sub || !transitions.cancel.from.includes(sub.status as SubOrderStatus)) return;
  const { holdId, customerId } = agg.order;
  await Promise.all(
    [...released].map(async ([skuId, allocations]) => {
      const qty = allocations.reduce((n, a) => n + a.qty, 0);
      if (qty === 0) return;
      const stock = stockObject(env, skuId);
      const reserved = await stock.reserve({
        skuId,
        holdId,
        qty,
        warehouses: allocations.map((a) => a.warehouseId),
        expiresAt: now.getTime() + HOLD_AGAIN_MS,
        // Counted against the shopper's caps again, as the order's hold was (never refused for them).
        customerId,
        reopen: true,
      });
      const restored = reserved.ok || (reserved.code === "HOLD_CLOSED" && reserved.status === "committed");
      const committed = restored && (reserved.ok ? (await stock.commit(holdId)).ok : true);
      if (!committed) {
        console.error(
          JSON.stringify({ msg: "sla breach not cancelled; units not held again", subOrderId, skuId, reserved }),
        );
      }
    }),
  );
  await releaseStrayUnits(env, agg.order, subOrderId, { evenIfNeverMoved: true });
}
