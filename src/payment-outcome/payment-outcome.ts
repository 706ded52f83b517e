import { cancellationStatements, skuIdsOf } from "../cancellation/order-cancellation";
import { database, runBatch, type Statement } from "../db/client";
import { postJournal } from "../db/ledger";
import { queueOpsAlert } from "../db/ops-alerts";
import {
  findPayment,
  insertEvent,
  insertOutbox,
  loadOrder,
  markOrderPaid,
  markSubOrderPaid,
  type OrderAggregate,
  replaceLines,
} from "../db/orders";
import {
  findPaymentEvent,
  recordPaymentCharge,
  recordPaymentEvent,
  setOpenPaymentStatus,
  setPaymentStatus,
} from "../db/payments";
import { sitesOf } from "../db/routing";
import { dispatchSlaHours } from "../db/vendors";
import { newId } from "../domain/ids";
import type { Actor } from "../domain/principal";
import { addSeconds, isoSeconds } from "../domain/time";
import { rankByDistance } from "../domain/warehouse-ranking";
import { dispatchOutbox } from "../gateways/order-events";
import { paymentProvider } from "../gateways/payment-provider";
import type { PaymentProvider } from "../gateways/payments";
import { type Allocation, commitAll, releaseAll, reserveAll } from "../gateways/stock";
import { captureJournal, refundPostings } from "../money/postings";
import { refundFailureWrites } from "../money/refund-failures";
import { type Background, finishLater } from "../platform/background";
import { config } from "../platform/config";

export type PaymentOutcomeInput = {
  paymentId: string;
  outcome: "succeeded" | "failed" | "canceled";
  /** The provider's event id; an event applied once is never applied again. */
  eventId: string;
  at: Date;
  actor: Actor;
  /** The provider's charge behind a success (Stripe: `latest_charge`); later transfers name it as their source. */
  chargeId?: string | null;
};

export type PaymentOutcomeResult =
  | { ok: true; orderId: string; applied: boolean }
  | { ok: false; code: "NOT_FOUND" | "CONFLICT"; detail: string };

const LATE_PAYMENT_REASON = "late_payment_refunded";
/** A late payment's stock was gone, its holds released: from here on it is refunded, never paid. */
const LATE_REFUND_OWED = "payment.late_refund_owed";

/**
 * Applies what the provider says happened to a payment, exactly once per event and idempotently
 * across events: every write is conditional on the state it moves from, or keyed to be unique.
 */
export async function applyPaymentOutcome(
  env: Env,
  input: PaymentOutcomeInput,
  ctx?: Background,
): Promise<PaymentOutcomeResult> {
  const db = database(env);
  const payment = await findPayment(db, input.paymentId);
  if (!payment) return { ok: false, code: "NOT_FOUND", detail: "No such payment" };
  const seen = await findPaymentEvent(db, input.eventId);
  if (seen) return { ok: true, orderId: payment.orderId, applied: false };
  const agg = await loadOrder(db, payment.orderId);
  if (!agg) return { ok: false, code: "NOT_FOUND", detail: "No order for this payment" };
  const at = isoSeconds(input.at);
  const recordEvent = recordPaymentEvent(db, {
    id: input.eventId,
    paymentId: payment.id,
    type: input.outcome,
    receivedAt: at,
  });

  const outboxKeys: string[] = [];
  let statements: Statement[];
  switch (input.outcome) {
    case "failed":
      statements = failedStatements(db, agg, input, at);
      break;
    case "canceled":
      if (payment.status === "succeeded" || agg.order.status !== "pending_payment") statements = [];
      else {
        await releaseAll(env, agg.order.holdId, skuIdsOf(agg), "payment_canceled");
        statements = [
          ...cancellationStatements(db, agg, { reason: "payment_canceled", actor: input.actor, at, refundedMinor: 0 }),
          setPaymentStatus(db, payment.id, "canceled", at),
        ];
        outboxKeys.push(`order.cancelled:${agg.order.id}`);
      }
      break;
    case "succeeded": {
      const applied = await succeededStatements(env, agg, input, at);
      statements = applied.statements;
      outboxKeys.push(...applied.outboxKeys);
      break;
    }
  }
  if (input.outcome === "succeeded" && input.chargeId) {
    statements.push(recordPaymentCharge(db, payment.id, input.chargeId));
  }
  await runBatch(db, [...statements, recordEvent]);
  await finishLater(ctx, dispatchOutbox(env, outboxKeys, input.at));
  return { ok: true, orderId: agg.order.id, applied: true };
}

function failedStatements(
  db: ReturnType<typeof database>,
  agg: OrderAggregate,
  input: PaymentOutcomeInput,
  at: string,
) {
  const payment = agg.payment!;
  // A failed attempt keeps the holds: the shopper may retry before they expire.
  if (payment.status === "succeeded" || payment.status === "canceled") return [];
  return [
    setOpenPaymentStatus(db, payment.id, "failed", at),
    insertEvent(db, {
      orderId: agg.order.id,
      type: "payment.failed",
      at,
      actorRole: input.actor.role,
      actorId: input.actor.id,
      dedupeKey: `payment.failed:${input.eventId}`,
    }),
  ];
}

async function succeededStatements(
  env: Env,
  agg: OrderAggregate,
  input: PaymentOutcomeInput,
  at: string,
): Promise<{ statements: Statement[]; outboxKeys: string[] }> {
  const db = database(env);
  const payment = agg.payment!;
  const markSucceeded = setPaymentStatus(db, payment.id, "succeeded", at);
  if (agg.order.status !== "pending_payment") {
    // Cancelled while the money was moving (never recorded as paid): refund what was taken. An order
    // already paid (another event said so first) and cancelled since owes only its sub-orders' own
    // refunds, which the cancel recorded and the `pending-refunds` job pays if the provider failed them.
    if (agg.order.status === "cancelled" && payment.status !== "succeeded") {
      return refundInFull(
        env,
        { ...agg, payment: { ...payment, status: "succeeded" } },
        input,
        at,
        "cancelled_before_payment",
      );
    }
    return { statements: [markSucceeded], outboxKeys: [] };
  }

  const paidLate = { ...agg, payment: { ...payment, status: "succeeded" as const } };
  // Once its refund is decided it is owed, whatever a later attempt finds free: stock released by
  // then may be back on the shelf, and paying the order would ship what the shopper is refunded for.
  if (agg.events.some((e) => e.type === LATE_REFUND_OWED)) {
    return refundInFull(env, paidLate, input, at, LATE_PAYMENT_REASON);
  }
  // A re-reserved hold expires counted from now: from a redelivered event's own time it may already
  // be past, and the stock object's alarm would release it before the commit that follows.
  const secured = await secureStock(env, agg, new Date(Math.max(input.at.getTime(), Date.now())));
  if (!secured.ok) {
    await runBatch(db, [
      insertEvent(db, {
        orderId: agg.order.id,
        type: LATE_REFUND_OWED,
        at,
        actorRole: input.actor.role,
        actorId: input.actor.id,
        reason: LATE_PAYMENT_REASON,
        dedupeKey: `${LATE_REFUND_OWED}:${agg.order.id}`,
      }),
    ]);
    return refundInFull(env, paidLate, input, at, LATE_PAYMENT_REASON);
  }

  const slaHours = await dispatchSlaHours(
    db,
    agg.subOrders.map((s) => s.vendorId),
  );
  // The SLA clock starts when the vendor can see the order: when this batch lands, not when the
  // provider's event was made (a webhook delivered late would eat into the vendor's time), or at
  // approval if held for review.
  const visibleAt = new Date(Math.max(input.at.getTime(), Date.now()));
  const statements: Statement[] = [
    markSucceeded,
    markOrderPaid(db, agg.order.id, at),
    // The money captured, per sub-order, in the batch that marks it paid; keyed by the payment, so once.
    ...postJournal(db, captureJournal(agg, payment.id, at)),
    ...agg.subOrders.map((s) =>
      markSubOrderPaid(
        db,
        s.id,
        {
          slaDispatchBy: isoSeconds(addSeconds(visibleAt, (slaHours.get(s.vendorId) ?? 0) * 3600)),
          slaStartedAt: isoSeconds(visibleAt),
        },
        at,
      ),
    ),
    insertEvent(db, {
      orderId: agg.order.id,
      type: "order.paid",
      at,
      actorRole: input.actor.role,
      actorId: input.actor.id,
      data: secured.moved.length > 0 ? { reallocated: secured.moved } : null,
      dedupeKey: `order.paid:${agg.order.id}`,
    }),
    insertOutbox(db, {
      type: "order.paid",
      orderId: agg.order.id,
      payload: {
        orderId: agg.order.id,
        customerId: agg.order.customerId,
        subOrders: agg.subOrders.map((s) => ({ id: s.id, vendorId: s.vendorId })),
      },
      dedupeKey: `order.paid:${agg.order.id}`,
      createdAt: at,
    }),
  ];
  if (secured.moved.length > 0) statements.push(...reallocationStatements(db, agg, secured.allocations));
  return { statements, outboxKeys: [`order.paid:${agg.order.id}`] };
}

/**
 * Commits the order's hold. Where the hold already expired, re-reserves the same allocations,
 * else other warehouses of the same vendor, all or nothing, so a late payment either gets its
 * stock back or nothing at all is kept.
 */
async function secureStock(
  env: Env,
  agg: OrderAggregate,
  now: Date,
): Promise<{ ok: true; moved: string[]; allocations: Map<string, Allocation[]> } | { ok: false }> {
  const holdId = agg.order.holdId;
  const skuIds = skuIdsOf(agg);
  const committed = await commitAll(env, holdId, skuIds);
  if (committed.ok) return { ok: true, moved: [], allocations: new Map() };

  const lost = committed.failed.map((f) => f.skuId);
  const vendorOf = new Map(agg.lines.map((l) => [l.skuId, agg.subOrders.find((s) => s.id === l.subOrderId)!.vendorId]));
  const sites = (await sitesOf(database(env), [...vendorOf.values()])).map((s) => ({ ...s, id: s.warehouseId }));
  const point = { lat: agg.order.shipLat, lng: agg.order.shipLng };
  const open = new Set(sites.map((s) => s.id));
  const reserved = await reserveAll(
    env,
    holdId,
    lost.map((skuId) => {
      const original = agg.lines.filter((l) => l.skuId === skuId);
      // The order's own warehouses first, while they are still open.
      const preferred = original.map((l) => l.warehouseId).filter((id) => open.has(id));
      const others = rankByDistance(
        sites.filter((s) => s.vendorId === vendorOf.get(skuId)),
        point,
      ).filter((id) => !preferred.includes(id));
      return {
        skuId,
        qty: original.reduce((n, l) => n + l.qty, 0),
        warehouses: [...preferred, ...others],
        expiresAt: addSeconds(now, config(env).holdTtlSeconds).getTime(),
        // Counted against the shopper's caps from now on, as their checkout's hold was (never refused for them).
        customerId: agg.order.customerId,
        reopen: true,
      };
    }),
  );
  if (!reserved.ok) {
    // Another application of this payment (the webhook and the expiry job's check) re-reserved and
    // committed them first: the stock is secured, and releasing it would free a paid order's units.
    if ((await commitAll(env, holdId, lost)).ok) return { ok: true, moved: [], allocations: new Map() };
    await releaseAll(env, holdId, skuIds, LATE_PAYMENT_REASON);
    return { ok: false };
  }
  const recommitted = await commitAll(env, holdId, lost);
  if (!recommitted.ok) {
    await releaseAll(env, holdId, skuIds, LATE_PAYMENT_REASON);
    return { ok: false };
  }
  return { ok: true, moved: lost, allocations: reserved.allocations };
}

/** Line items follow the stock when a re-reservation landed in other warehouses. */
function reallocationStatements(
  db: ReturnType<typeof database>,
  agg: OrderAggregate,
  allocations: Map<string, Allocation[]>,
): Statement[] {
  const statements: Statement[] = [];
  for (const [skuId, allocs] of allocations) {
    const old = agg.lines.filter((l) => l.skuId === skuId);
    const template = old[0]!;
    statements.push(
      ...replaceLines(
        db,
        agg.order.id,
        skuId,
        allocs.map((a) => ({
          ...template,
          id: newId("li"),
          warehouseId: a.warehouseId,
          qty: a.qty,
          lineTotalMinor: a.qty * template.unitPriceMinor,
        })),
      ),
    );
  }
  return statements;
}

async function refundInFull(
  env: Env,
  agg: OrderAggregate,
  input: PaymentOutcomeInput,
  at: string,
  reason: string,
): Promise<{ statements: Statement[]; outboxKeys: string[] }> {
  const payment = agg.payment!;
  const amountMinor = payment.amountMinor - payment.refundedMinor;
  const idempotencyKey = `refund:full:${agg.order.id}`;
  const provider = paymentProvider(env);
  const asked = await provider.refund({
    paymentId: payment.id,
    amount: { amountMinor, currency: payment.currency },
    idempotencyKey,
    reason,
  });
  const refunded = asked.ok ? asked : ((await refundedAlready(provider, payment, amountMinor)) ?? asked);
  const db = database(env);
  if (!refunded.ok) {
    // The shopper paid for an order they will not get, and the money stays with the platform until
    // this refund goes through: ops hear of it at the first failure, once per order. A timeout or a
    // lost answer fails the same way (the gateway answers every SDK error as PROVIDER_ERROR), though
    // the provider may have made the refund, and a redelivery may make it later under the same key: the
    // alert sends ops to the provider's records first, and a refund by hand to the provider alone,
    // which bounds a payment's refunds by what was paid (a bank transfer would not stop a retry).
    await runBatch(db, [
      queueOpsAlert(db, {
        template: "late_payment_refund_refused",
        dedupeKey: `late-payment-refund-refused:${agg.order.id}`,
        text: `Order ${agg.order.id} was paid (${amountMinor} ${payment.currency} minor units) after it was ${reason === LATE_PAYMENT_REASON ? "past its hold with its stock gone" : "cancelled"}; its full refund did not go through (${refunded.message}). The provider may have made it all the same (an answer lost to a timeout looks like this), and it is tried again under the same idempotency key on each redelivery of the payment and by the expire-holds job, so it is made there once at most. Look up payment ${payment.id} in the provider's dashboard before anything else: a refund there (idempotency key ${idempotencyKey}) means nothing more is owed, and the next retry records it and cancels the order. Without one, refund that payment there and by no other means: the provider never refunds more than was paid, so a retry after it is refused, not paid twice.`,
        params: {
          orderId: agg.order.id,
          paymentId: payment.id,
          amountMinor,
          currency: payment.currency,
          error: refunded.message,
          idempotencyKey,
        },
        at,
      }),
    ]);
    // Thrown, not returned: the provider will redeliver the event and the refund is keyed to happen once.
    throw new Error(`refund failed for ${agg.order.id}: ${refunded.message}`);
  }
  // The money came in and goes straight back: both are posted, the refund over every sub-order.
  const captured = captureJournal(agg, payment.id, at);
  const ledger = await refundPostings(
    db,
    {
      refundId: `rf_${refunded.value.refundId}`,
      paymentId: payment.id,
      orderId: agg.order.id,
      currency: payment.currency,
      amountMinor,
      at,
      subOrderIds: agg.subOrders.map((s) => s.id),
      goodsOnly: false,
    },
    captured,
  );
  const { refundId: providerRef, failure } = refunded.value;
  // Answered already failed: in the books as made (by the cancellation's statements), and owed again.
  const failed = failure
    ? refundFailureWrites(db, {
        refund: {
          id: `rf_${providerRef}`,
          orderId: agg.order.id,
          paymentId: payment.id,
          subOrderId: null,
          amountMinor,
          currency: payment.currency,
          reason,
        },
        providerRefundId: providerRef,
        reason: failure,
        subOrderId: agg.subOrders.map((s) => s.id).sort()[0]!,
        failedBefore: 0,
        at,
      })
    : null;
  return {
    statements: [
      setPaymentStatus(db, payment.id, "succeeded", at),
      ...postJournal(db, captured),
      ...ledger.statements,
      ...cancellationStatements(db, agg, {
        reason,
        actor: input.actor,
        at,
        refund: { amountMinor, providerRef },
        refundedMinor: amountMinor,
      }),
      ...(failed?.statements ?? []),
    ],
    outboxKeys: [`order.cancelled:${agg.order.id}`, ...(failed ? [failed.outboxKey] : [])],
  };
}

/**
 * The refund to record when the provider refused ours but its own refunds of the payment, together,
 * already give all of it back: one made by hand in its dashboard, as the `late_payment_refund_refused`
 * alert asks, or ours whose answer was lost. Every retry of ours is refused from then on (Stripe
 * replays the first refusal under its key for a day, then answers `charge_already_refunded`), so
 * without this the order would stay unpaid and retried forever. Only refunds on their way count
 * (succeeded or pending; a later failure is reported as any refund's is); those the app recorded
 * are among them, hence the whole payment. Null when they fall short or the provider cannot say.
 */
async function refundedAlready(
  provider: PaymentProvider,
  payment: NonNullable<OrderAggregate["payment"]>,
  owedMinor: number,
): Promise<{ ok: true; value: { refundId: string; failure: null } } | null> {
  const listed = await provider.refundsOf(payment.id);
  if (!listed.ok) return null;
  const live = listed.value.filter(
    (r) => (r.status === "succeeded" || r.status === "pending") && r.amount.currency === payment.currency,
  );
  const total = live.reduce((n, r) => n + r.amount.amountMinor, 0);
  if (live.length === 0 || total < payment.amountMinor) return null;
  // Recorded under one provider refund: the one that gives back all that is owed on its own, else
  // the newest (the one that completed it; the list is newest first).
  const chosen = live.find((r) => r.amount.amountMinor >= owedMinor) ?? live[0]!;
  return { ok: true, value: { refundId: chosen.id, failure: null } };
}
