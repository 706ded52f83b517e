import type { SubOrderStatus } from "../contracts/order-status";
import { database, runBatch, type Statement } from "../db/client";
import { insertEvent, insertOutbox } from "../db/orders";
import { refreshOrderPaymentStatus, refundStatements } from "../db/payments";
import { claimReturn, findReturnClaim, markReturnedIfAllBack } from "../db/returns";
import { refreshParentStatus } from "../db/sub-orders";
import type { Actor, Principal } from "../domain/principal";
import { allowedFrom } from "../domain/sub-order-lifecycle";
import { isoSeconds } from "../domain/time";
import { type FulfillmentOutcome, visibleSubOrder } from "../fulfillment/fulfillment";
import { dispatchOutbox } from "../gateways/order-events";
import { paymentProvider } from "../gateways/payment-provider";
import { adjustStock } from "../gateways/stock";
import { issueCreditNote, refundPostings, termsOf } from "../money/postings";
import { type Background, finishLater } from "../platform/background";

export type ReturnLine = { lineId: string; qty: number; restockable: boolean };

export type ReturnOutcome = FulfillmentOutcome | { ok: false; code: "CONFLICT"; detail: string };

/**
 * A return after delivery, keyed by the caller's Idempotency-Key: its units are claimed first in
 * one guarded statement (a return racing for the same units under another key answers CONFLICT and
 * moves nothing), then they come back (to the line's own warehouse when restockable), the returned
 * amount is refunded with a credit note, and the sub-order becomes `returned` once every unit is
 * back. Every effect is keyed to the return, so a retry repeats none of them.
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
  if (sub.status !== "delivered") {
    return {
      ok: false,
      code: "ILLEGAL_TRANSITION",
      detail: "Only a delivered sub-order can be returned",
      allowed: allowedFrom(sub.status as SubOrderStatus),
    };
  }
  const key = `return:${sub.id}:${input.key}`;
  const db = database(env);
  // A retry of a return whose units were claimed (its refund failed) finds them counted already.
  const replay = (await findReturnClaim(db, key)) !== undefined;
  const mine = new Map(agg.lines.filter((l) => l.subOrderId === sub.id).map((l) => [l.id, l]));
  const errors = input.lines.flatMap((r, i) => {
    const line = mine.get(r.lineId);
    if (!line) return [{ path: `lines.${i}.lineId`, message: "not a line of this sub-order" }];
    if (!replay && line.returnedQty + r.qty > line.qty) {
      return [{ path: `lines.${i}.qty`, message: `at most ${line.qty - line.returnedQty} left to return` }];
    }
    return [];
  });
  if (new Set(input.lines.map((l) => l.lineId)).size !== input.lines.length) {
    errors.push({ path: "lines", message: "name each line once" });
  }
  if (errors.length > 0)
    return { ok: false, code: "VALIDATION_FAILED", detail: "The return does not fit the sub-order", errors };

  const at = isoSeconds(input.now);
  // The quantities are decided here, before any unit or money moves: the check above read a snapshot.
  const lines = input.lines.map((r) => ({ lineId: r.lineId, qty: r.qty }));
  const claimed =
    replay || (await claimReturn(db, { id: key, subOrderId: sub.id, lines, claim: crypto.randomUUID(), at }));
  if (!claimed && !(await findReturnClaim(db, key))) {
    return { ok: false, code: "CONFLICT", detail: "Another return took those units back first" };
  }
  for (const r of input.lines.filter((l) => l.restockable)) {
    const line = mine.get(r.lineId)!;
    await adjustStock(env, {
      skuId: line.skuId,
      warehouseId: line.warehouseId,
      delta: r.qty,
      reason: "return",
      actor: `${input.actor.role}:${input.actor.id ?? ""}`,
      idempotencyKey: `${key}:${line.id}`,
    });
  }
  const amountMinor = input.lines.reduce((n, r) => n + r.qty * mine.get(r.lineId)!.unitPriceMinor, 0);
  const payment = agg.payment;
  const statements: Statement[] = [];
  let refundedMinor = 0;
  if (payment?.status === "succeeded" && amountMinor > 0) {
    refundedMinor = Math.min(amountMinor, payment.amountMinor - payment.refundedMinor);
  }
  if (payment && refundedMinor > 0) {
    const refunded = await paymentProvider(env).refund({
      paymentId: payment.id,
      amount: { amountMinor: refundedMinor, currency: payment.currency },
      idempotencyKey: key,
      reason: input.reason,
    });
    if (!refunded.ok) return { ok: false, code: "PAYMENT_PROVIDER_ERROR", detail: refunded.message };
    const refundId = `rf_${refunded.value.refundId}`;
    const ledger = await refundPostings(db, {
      refundId,
      paymentId: payment.id,
      orderId: agg.order.id,
      currency: payment.currency,
      amountMinor: refundedMinor,
      at,
      subOrders: [termsOf(sub)],
      goodsOnly: true,
    });
    statements.push(
      ...refundStatements(db, {
        id: refundId,
        paymentId: payment.id,
        orderId: agg.order.id,
        subOrderId: sub.id,
        amountMinor: refundedMinor,
        currency: payment.currency,
        reason: input.reason,
        providerRef: refunded.value.refundId,
        at,
      }),
      ...issueCreditNote(env, db, {
        id: `cn_${refunded.value.refundId}`,
        orderId: agg.order.id,
        subOrderId: sub.id,
        vendorId: sub.vendorId,
        amountMinor: refundedMinor,
        currency: payment.currency,
        reason: input.reason,
        refundId,
        createdAt: at,
        dedupeKey: `credit:${key}`,
      }),
      ...ledger,
      refreshOrderPaymentStatus(db, agg.order.id, payment.id),
    );
  }
  // Read when the batch runs: of two returns of different lines, the one that brings the last unit back marks it.
  statements.push(markReturnedIfAllBack(db, sub.id, at));
  const data = { lines: input.lines, refundedMinor, reason: input.reason };
  statements.push(
    insertEvent(db, {
      orderId: agg.order.id,
      subOrderId: sub.id,
      type: "sub_order.returned",
      at,
      actorRole: input.actor.role,
      actorId: input.actor.id,
      reason: input.reason,
      data,
      dedupeKey: key,
    }),
    insertOutbox(db, {
      type: "sub_order.returned",
      orderId: agg.order.id,
      payload: { orderId: agg.order.id, subOrderId: sub.id, vendorId: sub.vendorId, ...data },
      dedupeKey: key,
      createdAt: at,
    }),
  );
  await runBatch(db, statements);
  await refreshParentStatus(db, agg.order.id, at);
  await finishLater(ctx, dispatchOutbox(env, [key], input.now));
  return { ok: true, orderId: agg.order.id, changed: true };
}
