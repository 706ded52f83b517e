import type { SubOrderStatus } from "../contracts/order-status";
import { database } from "../db/client";
import { oweReturnRefund, returnRefundFailure } from "../db/payments";
import { claimReturn, findReturnClaim, type ReturnedLine, returnRecorded } from "../db/returns";
import { sumMinor } from "../domain/money";
import type { Actor, Principal } from "../domain/principal";
import { allowedFrom } from "../domain/sub-order-lifecycle";
import { isoSeconds } from "../domain/time";
import { type FulfillmentOutcome, visibleSubOrder } from "../fulfillment/fulfillment";
import { payPendingRefund } from "../money/owed-refunds";
import type { Background } from "../platform/background";
import { completeReturn } from "./complete";

export type ReturnLine = { lineId: string; qty: number; restockable: boolean };

export type ReturnOutcome =
  | FulfillmentOutcome
  | { ok: false; code: "CONFLICT"; detail: string }
  | { ok: false; code: "IDEMPOTENCY_KEY_REUSED"; detail: string };

/**
 * A return after delivery, keyed by the caller's Idempotency-Key: its units are claimed first in
 * one guarded statement, with the refund they are owed in the same batch (a return racing for the
 * same units under another key answers CONFLICT and moves nothing); then they come back (to the
 * line's own warehouse when restockable), the return is recorded (the sub-order becomes `returned`
 * once every unit is back) and the owed refund is paid with a credit note under the return's own
 * key, and only then told to the shopper. A refund the provider fails stays owed: the `pending-refunds`
 * job pays it, or a retry of the same request. A retry repeats none of the effects, and does them as
 * the claim says: the same key with other lines is IDEMPOTENCY_KEY_REUSED and changes nothing. A
 * request that stops after its claim (a stock object or D1 failing) is finished by a retry of its
 * key or the `returns-follow-up` job: a retry under another key finds the units claimed already.
 */
export async function returnSubOrder(
  env: Env,
  ctx: Background | undefined,
  input: {
    subOrderId: string;
    who: Principal;
    actor: Actor;
    lines: ReturnLine[];
    reason: string;
    key: string;
    now: Date;
  },
): Promise<ReturnOutcome> {
  const found = await visibleSubOrder(env, input.subOrderId, input.who);
  if (!found) return { ok: false, code: "NOT_FOUND", detail: "No such sub-order" };
  const { agg, sub } = found;
  const key = `return:${sub.id}:${input.key}`;
  const db = database(env);
  // A retry of a return whose units were claimed (its refund failed, say) finds them counted already;
  // the return that brought the last unit back left the sub-order `returned`.
  let claim: { lines: ReturnedLine[] } | undefined = await findReturnClaim(db, key);
  const retried = claim !== undefined;
  if (sub.status !== "delivered" && !(claim && sub.status === "returned")) {
    return {
      ok: false,
      code: "ILLEGAL_TRANSITION",
      detail: "Only a delivered sub-order can be returned",
      allowed: allowedFrom(sub.status as SubOrderStatus),
    };
  }
  const mine = new Map(agg.lines.filter((l) => l.subOrderId === sub.id).map((l) => [l.id, l]));
  const at = isoSeconds(input.now);
  if (!claim) {
    const errors = input.lines.flatMap((r, i) => {
      const line = mine.get(r.lineId);
      if (!line) return [{ path: `lines.${i}.lineId`, message: "not a line of this sub-order" }];
      if (line.returnedQty + r.qty > line.qty) {
        return [{ path: `lines.${i}.qty`, message: `at most ${line.qty - line.returnedQty} left to return` }];
      }
      return [];
    });
    if (new Set(input.lines.map((l) => l.lineId)).size !== input.lines.length) {
      errors.push({ path: "lines", message: "name each line once" });
    }
    if (errors.length > 0)
      return { ok: false, code: "VALIDATION_FAILED", detail: "The return does not fit the sub-order", errors };

    // The quantities are decided here, before any unit or money moves: the check above read a snapshot.
    const lines = input.lines.map((r) => ({ lineId: r.lineId, qty: r.qty, restockable: r.restockable }));
    const payment = agg.payment;
    const claimed = await claimReturn(
      db,
      { id: key, subOrderId: sub.id, lines, claim: crypto.randomUUID(), at },
      (ours) =>
        payment
          ? [
              oweReturnRefund(db, {
                id: key,
                subOrderId: sub.id,
                orderId: agg.order.id,
                paymentId: payment.id,
                goodsMinor: sumMinor(lines.map((r) => r.qty * mine.get(r.lineId)!.unitPriceMinor)),
                adjustmentMinor: sumMinor(lines.map((r) => r.qty * mine.get(r.lineId)!.unitAdjustmentMinor)),
                reason: input.reason,
                at,
                claimed: ours,
              }),
            ]
          : [],
    );
    // Lost: to a return of the same units under another key, or to this key sent twice at once.
    claim = claimed ? { lines } : await findReturnClaim(db, key);
    if (!claim) {
      return { ok: false, code: "CONFLICT", detail: "Another return took those units back first" };
    }
  }
  if (!claim || !sameLines(claim.lines, input.lines)) {
    return {
      ok: false,
      code: "IDEMPOTENCY_KEY_REUSED",
      detail: "This Idempotency-Key took back other lines or quantities; retry with the same lines, or use a new key",
    };
  }
  // Every effect follows the claim, never a retry's body. Claims from before `restockable` was kept
  // take it from the request, whose lines and quantities matched.
  const lines = claim.lines.map((l) => ({
    ...l,
    restockable: l.restockable ?? input.lines.find((r) => r.lineId === l.lineId)!.restockable,
  }));
  // A retry of a recorded return brought its units back already: the stock objects' own keys for the
  // restock are kept a week, and a client may retry a failed refund later than that.
  const owed = await completeReturn(env, ctx, {
    found,
    key,
    lines,
    restock: !(retried && (await returnRecorded(db, key))),
    actor: input.actor,
    reason: input.reason,
    now: input.now,
  });
  // The return's own event tells the shopper nothing (it goes out before the refund is paid): they
  // hear of the refund once it is paid, from whichever pays it (this request, its retry or the
  // job), as one `order.refund_sent` deduplicated under the owed row's id.
  const paid =
    owed && owed.settledAt === null ? await payPendingRefund(env, owed, input.now, { announce: true }) : undefined;
  if (paid?.pending && paid.creditNoteId === null) {
    return {
      ok: false,
      code: "PAYMENT_PROVIDER_ERROR",
      detail:
        "The units are taken back but the payment provider failed to refund them: the refund is owed and retried (the pending-refunds job, or this request again)",
    };
  }
  // Made but failed by the provider (a closed card): owed again, and so this return's answer, first
  // or retried, until the retry pays it or ops settle it.
  const failure = owed && (paid === undefined || paid.pending) ? await returnRefundFailure(db, owed.id) : null;
  if (failure !== null) {
    return {
      ok: false,
      code: "PAYMENT_PROVIDER_ERROR",
      detail: `The units are taken back and the refund was made, but the payment provider failed it (${failure}): it is owed again, for the pending-refunds job or ops (GET /v1/admin/refunds/pending)`,
    };
  }
  return { ok: true, orderId: agg.order.id, changed: true };
}

/** Whether a request names the same lines and quantities as the claim (and restocks as it said, when it said). */
function sameLines(claimed: readonly ReturnedLine[], asked: readonly ReturnLine[]): boolean {
  if (claimed.length !== asked.length) return false;
  return claimed.every((c) => {
    const a = asked.find((r) => r.lineId === c.lineId);
    return a !== undefined && a.qty === c.qty && (c.restockable === undefined || c.restockable === a.restockable);
  });
}
