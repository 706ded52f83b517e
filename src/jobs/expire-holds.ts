import { cancelOrder } from "../cancellation/order-cancellation";
import { database } from "../db/client";
import { findExpiredUnpaidOrders, loadOrder } from "../db/orders";
import { systemActor } from "../domain/principal";
import { applyPaymentOutcome } from "../payment-outcome/payment-outcome";

const BATCH = 100;

/**
 * Unpaid orders past their hold: cancel the payment first, and the order (`hold_expired`) only if
 * that worked. A payment that had already succeeded is confirmed instead, through the same path
 * as its webhook, which re-reserves or refunds if the stock object already let the hold go.
 */
export async function expireHolds(env: Env, now: Date) {
  const db = database(env);
  const due = await findExpiredUnpaidOrders(db, now.toISOString(), BATCH);
  const result = { cancelled: 0, confirmed: 0, waiting: 0, failed: 0 };
  for (const { id } of due) {
    const outcome = await cancelOrder(env, undefined, {
      orderId: id,
      reason: "hold_expired",
      actor: systemActor("expire-holds"),
      now,
    });
    if (outcome.ok) {
      result.cancelled += outcome.changed ? 1 : 0;
      continue;
    }
    const succeeded = outcome.code === "CONFLICT" && outcome.paymentStatus === "succeeded";
    const payment = succeeded ? (await loadOrder(db, id))?.payment : undefined;
    if (payment) {
      const applied = await applyPaymentOutcome(env, {
        paymentId: payment.id,
        outcome: "succeeded",
        eventId: `sync:${payment.id}:succeeded`,
        at: now,
        actor: systemActor("expire-holds"),
      });
      if (applied.ok) {
        result.confirmed += 1;
        continue;
      }
    }
    if (outcome.code === "CONFLICT" && !succeeded) {
      result.waiting += 1;
      continue;
    }
    console.error(JSON.stringify({ job: "expire-holds", orderId: id, outcome }));
    result.failed += 1;
  }
  return result;
}
