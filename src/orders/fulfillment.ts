import { and, eq, sql } from "drizzle-orm";
import type { FieldError } from "../contracts/common";
import { database, runBatch, type Statement } from "../db/client";
import { insertEvent, insertOutbox, loadOrder, type OrderAggregate } from "../db/orders";
import { creditNotes, orders, payments, refunds, subOrders } from "../db/schema";
import { barcodesOf, findCarrier } from "../db/sub-orders";
import { type BarcodeCount, checkScans } from "../domain/barcode-check";
import { deriveOrderStatus, derivePaymentStatus, type SubOrderStatus } from "../domain/order-status";
import type { Actor, Principal } from "../domain/principal";
import { type FulfillmentAction, transition } from "../domain/sub-order-lifecycle";
import { isoSeconds } from "../domain/time";
import { dispatchOutbox } from "../gateways/order-events";
import { paymentProvider } from "../gateways/payment-provider";
import { releaseAll, shipAll } from "../gateways/stock";
import type { Background } from "./cancellation";

export type FulfillmentOutcome =
  | { ok: true; orderId: string; changed: boolean }
  | { ok: false; code: "NOT_FOUND"; detail: string }
  | { ok: false; code: "ILLEGAL_TRANSITION"; detail: string; allowed: string[] }
  | {
      ok: false;
      code: "VALIDATION_FAILED";
      detail: string;
      errors?: FieldError[];
      missing?: BarcodeCount[];
      unexpected?: BarcodeCount[];
    }
  | { ok: false; code: "PAYMENT_PROVIDER_ERROR"; detail: string };

export type ActionInput =
  | { action: "confirm" }
  | { action: "pack"; scanned: string[] }
  | { action: "dispatch"; carrier: string; awb: string }
  | { action: "deliver" }
  | { action: "cancel"; reason: string };

/**
 * The sub-order and its order as `who` may act on them, or null: a vendor reaches only its own
 * sub-orders, and none of an order held for review.
 */
export async function visibleSubOrder(env: Env, subOrderId: string, who: Principal | "system") {
  const db = database(env);
  const sub = await db.select({ orderId: subOrders.orderId }).from(subOrders).where(eq(subOrders.id, subOrderId)).get();
  const agg = sub ? await loadOrder(db, sub.orderId) : null;
  const target = agg?.subOrders.find((s) => s.id === subOrderId);
  if (!agg || !target) return null;
  if (who === "system") return { agg, sub: target };
  if (who.role === "customer") return null;
  if (who.role === "vendor" && (target.vendorId !== who.vendorId || agg.order.reviewHeld)) return null;
  return { agg, sub: target };
}

const stamp: Partial<
  Record<SubOrderStatus, "confirmedAt" | "packedAt" | "dispatchedAt" | "deliveredAt" | "cancelledAt">
> = {
  confirmed: "confirmedAt",
  packed: "packedAt",
  dispatched: "dispatchedAt",
  delivered: "deliveredAt",
  cancelled: "cancelledAt",
};

/**
 * Moves one sub-order one step. Every move is one D1 batch: the update conditional on the status
 * it moves from (so a concurrent duplicate changes nothing), the parent's derived status, a
 * timeline event and an outbox row, both keyed to be written once.
 */
export async function actOnSubOrder(
  env: Env,
  ctx: Background | undefined,
  input: { subOrderId: string; who: Principal | "system"; actor: Actor; now: Date } & ActionInput,
): Promise<FulfillmentOutcome> {
  const found = await visibleSubOrder(env, input.subOrderId, input.who);
  if (!found) return { ok: false, code: "NOT_FOUND", detail: "No such sub-order" };
  const { agg, sub } = found;
  const from = sub.status as SubOrderStatus;
  const move = transition(from, input.action as FulfillmentAction);
  if (!move.ok) {
    return {
      ok: false,
      code: "ILLEGAL_TRANSITION",
      detail: `A ${from} sub-order cannot ${input.action}`,
      allowed: move.allowed,
    };
  }
  if (move.repeat) return { ok: true, orderId: agg.order.id, changed: false };
  if (input.action === "cancel" && from === "pending_payment") {
    // Before payment the shopper's whole order is cancelled, not one vendor's part of it.
    return { ok: false, code: "ILLEGAL_TRANSITION", detail: "An unpaid order is cancelled as a whole", allowed: [] };
  }

  const db = database(env);
  const at = isoSeconds(input.now);
  const lines = agg.lines.filter((l) => l.subOrderId === sub.id);
  const skuIds = [...new Set(lines.map((l) => l.skuId))];
  const changes: Record<string, unknown> = { status: move.to, updatedAt: at };
  const stampField = stamp[move.to];
  if (stampField) changes[stampField] = at;
  let extra: Statement[] = [];
  let data: Record<string, unknown> = {};

  switch (input.action) {
    case "pack": {
      const barcodes = await barcodesOf(db, skuIds);
      const check = checkScans(
        lines.map((l) => ({ barcode: barcodes.get(l.skuId) ?? l.skuId, qty: l.qty })),
        input.scanned,
      );
      if (!check.ok) {
        return {
          ok: false,
          code: "VALIDATION_FAILED",
          detail: "The scans do not match the sub-order's lines",
          missing: check.missing,
          unexpected: check.unexpected,
        };
      }
      break;
    }
    case "dispatch": {
      const carrier = await findCarrier(db, input.carrier);
      if (!carrier?.active) {
        return {
          ok: false,
          code: "VALIDATION_FAILED",
          detail: "Unknown carrier",
          errors: [{ path: "carrier", message: "not a carrier of GET /v1/carriers" }],
        };
      }
      if (!new RegExp(carrier.awbPattern).test(input.awb)) {
        return {
          ok: false,
          code: "VALIDATION_FAILED",
          detail: `Not a ${carrier.name} AWB`,
          errors: [{ path: "awb", message: `must match ${carrier.awbPattern}, e.g. ${carrier.awbExample}` }],
        };
      }
      // The units leave the warehouse: out of on_hand and committed. Idempotent, so a retry is safe.
      await shipAll(env, agg.order.holdId, skuIds);
      changes.carrier = carrier.code;
      changes.awb = input.awb;
      data = { carrier: carrier.code, awb: input.awb };
      break;
    }
    case "cancel": {
      const settled = await settleCancellation(env, agg, sub.id, skuIds, input.reason, at);
      if (!settled.ok) return settled;
      changes.cancellationReason = input.reason;
      extra = settled.statements;
      data = { refundedMinor: settled.refundedMinor, reason: input.reason };
      break;
    }
  }

  const statuses = agg.subOrders.map((s) => (s.id === sub.id ? move.to : (s.status as SubOrderStatus)));
  const eventType = `sub_order.${move.to}`;
  const key = `${eventType}:${sub.id}`;
  await runBatch(db, [
    db
      .update(subOrders)
      .set(changes)
      .where(and(eq(subOrders.id, sub.id), eq(subOrders.status, from))),
    db
      .update(orders)
      .set({ status: deriveOrderStatus(statuses), updatedAt: at })
      .where(eq(orders.id, agg.order.id)),
    ...extra,
    insertEvent(db, {
      orderId: agg.order.id,
      subOrderId: sub.id,
      type: eventType,
      at,
      actorRole: input.actor.role,
      actorId: input.actor.id,
      reason: input.action === "cancel" ? input.reason : null,
      data: Object.keys(data).length > 0 ? data : null,
      dedupeKey: key,
    }),
    insertOutbox(db, {
      type: eventType,
      orderId: agg.order.id,
      payload: { orderId: agg.order.id, subOrderId: sub.id, vendorId: sub.vendorId, ...data },
      dedupeKey: key,
      createdAt: at,
    }),
  ]);
  const sent = dispatchOutbox(env, [key], input.now);
  if (ctx) ctx.waitUntil(sent);
  else await sent;
  return { ok: true, orderId: agg.order.id, changed: true };
}

/**
 * Gives a cancelled sub-order's stock back to its warehouses and, when the order was paid,
 * refunds exactly that sub-order with a credit note; the statements that record it are returned
 * for the transition's batch, each guarded so a retry records nothing twice.
 */
async function settleCancellation(
  env: Env,
  agg: OrderAggregate,
  subOrderId: string,
  skuIds: string[],
  reason: string,
  at: string,
) {
  await releaseAll(env, agg.order.holdId, skuIds, reason);
  const sub = agg.subOrders.find((s) => s.id === subOrderId)!;
  const payment = agg.payment;
  if (payment?.status !== "succeeded") return { ok: true as const, refundedMinor: 0, statements: [] };
  const amountMinor = Math.min(sub.totalMinor, payment.amountMinor - payment.refundedMinor);
  if (amountMinor <= 0) return { ok: true as const, refundedMinor: 0, statements: [] };
  const refunded = await paymentProvider(env).refund({
    paymentId: payment.id,
    amount: { amountMinor, currency: payment.currency },
    idempotencyKey: `refund:sub:${subOrderId}`,
    reason,
  });
  if (!refunded.ok) return { ok: false as const, code: "PAYMENT_PROVIDER_ERROR" as const, detail: refunded.message };
  const db = database(env);
  const refundId = `rf_${refunded.value.refundId}`;
  const refundedAfter = payment.refundedMinor + amountMinor;
  const statements: Statement[] = [
    db
      .update(payments)
      .set({ refundedMinor: sql`${payments.refundedMinor} + ${amountMinor}`, updatedAt: at })
      .where(
        and(eq(payments.id, payment.id), sql`not exists (select 1 from ${refunds} where ${refunds.id} = ${refundId})`),
      ),
    db
      .insert(refunds)
      .values({
        id: refundId,
        paymentId: payment.id,
        orderId: agg.order.id,
        subOrderId,
        amountMinor,
        currency: payment.currency,
        reason,
        providerRef: refunded.value.refundId,
        createdAt: at,
      })
      .onConflictDoNothing(),
    db
      .insert(creditNotes)
      .values({
        id: `cn_${refunded.value.refundId}`,
        orderId: agg.order.id,
        subOrderId,
        amountMinor,
        currency: payment.currency,
        reason,
        refundId,
        createdAt: at,
        dedupeKey: `credit:${subOrderId}:cancel`,
      })
      .onConflictDoNothing(),
    db
      .update(orders)
      .set({ paymentStatus: derivePaymentStatus(payment.amountMinor, refundedAfter, true) })
      .where(eq(orders.id, agg.order.id)),
  ];
  return { ok: true as const, refundedMinor: amountMinor, statements };
}

export const milestoneTypes = ["out_for_delivery", "delivery_attempted"] as const;
export type MilestoneType = (typeof milestoneTypes)[number];

/**
 * A tracking milestone that is not a status: a timeline event and an outbox row (the shopper's
 * notification and the live feeds), only while the parcel is on its way. `at` is the carrier's
 * time when it reports one, so a redelivered webhook records nothing new.
 */
export async function recordMilestone(
  env: Env,
  ctx: Background | undefined,
  input: {
    subOrderId: string;
    who: Principal | "system";
    actor: Actor;
    type: MilestoneType;
    note: string | null;
    at: Date;
  },
): Promise<FulfillmentOutcome> {
  const found = await visibleSubOrder(env, input.subOrderId, input.who);
  if (!found) return { ok: false, code: "NOT_FOUND", detail: "No such sub-order" };
  const { agg, sub } = found;
  if (sub.status !== "dispatched") {
    return { ok: false, code: "ILLEGAL_TRANSITION", detail: "Milestones follow dispatch", allowed: [] };
  }
  const db = database(env);
  const at = isoSeconds(input.at);
  const key = `sub_order.milestone:${sub.id}:${input.type}:${at}`;
  const data = { milestone: input.type, carrier: sub.carrier, awb: sub.awb };
  await runBatch(db, [
    insertEvent(db, {
      orderId: agg.order.id,
      subOrderId: sub.id,
      type: `sub_order.${input.type}`,
      at,
      actorRole: input.actor.role,
      actorId: input.actor.id,
      reason: input.note,
      data,
      dedupeKey: key,
    }),
    insertOutbox(db, {
      type: "sub_order.milestone",
      orderId: agg.order.id,
      payload: { orderId: agg.order.id, subOrderId: sub.id, vendorId: sub.vendorId, ...data },
      dedupeKey: key,
      createdAt: at,
    }),
  ]);
  const sent = dispatchOutbox(env, [key], input.at);
  if (ctx) ctx.waitUntil(sent);
  else await sent;
  return { ok: true, orderId: agg.order.id, changed: true };
}
