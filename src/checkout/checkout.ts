import type { FieldError } from "../contracts/common";
import type { CheckoutBody, CheckoutResult } from "../contracts/orders";
import { database } from "../db/client";
import { findIdempotentResponse, type OrderAggregate, readCheckoutContext } from "../db/orders";
import { chunks, insertRoutingDecision, offersByIds } from "../db/routing";
import { idempotencyKeys, lineItems, orderEvents, orders, outbox, payments, subOrders } from "../db/schema";
import { sha256Hex } from "../domain/crypto";
import { newId } from "../domain/ids";
import { type PricedLine, splitOrder, type VendorTerms } from "../domain/order-split";
import type { Principal } from "../domain/principal";
import { planRoute } from "../domain/routing/assign";
import { explain } from "../domain/routing/explain";
import { perVendor, type ShipmentItem, shipmentsOf } from "../domain/routing/shipments";
import type { Allocation, RoutePlan } from "../domain/routing/types";
import { addSeconds, isoSeconds } from "../domain/time";
import { dispatchOutboxRows, type OutboxRow } from "../gateways/order-events";
import { paymentProvider } from "../gateways/payment-provider";
import { type ReserveAllResult, releaseAll, reserveAll } from "../gateways/stock";
import { orderViewFor } from "../orders/view";
import type { Background } from "../platform/background";
import { config } from "../platform/config";
import { AUTO_REVIEW_NOTE, shouldHoldForReview } from "../review/review";
import {
  clockHour,
  type PreparedCart,
  prepareCart,
  readAvailability,
  routingRequest,
  shipmentContext,
  stockNeeded,
} from "../routing/cart";

type Customer = Extract<Principal, { role: "customer" }>;

export type CheckoutShortage = {
  lineIndex: number;
  skuId?: string;
  productId?: string;
  requested: number;
  available: number;
};

export type CheckoutOutcome =
  | { ok: true; body: CheckoutResult; replayed: boolean }
  | { ok: false; code: "IDEMPOTENCY_KEY_REUSED"; detail: string }
  | { ok: false; code: "VALIDATION_FAILED"; detail: string; errors: FieldError[] }
  | { ok: false; code: "OUT_OF_STOCK"; shortages: CheckoutShortage[] }
  | { ok: false; code: "RATE_LIMITED"; detail: string; retryAfterSeconds: number }
  | { ok: false; code: "PAYMENT_PROVIDER_ERROR"; detail: string };

const IDEMPOTENCY_RETENTION_SECONDS = 48 * 3600;

/** Stable across key order, so the same cart always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function replay(row: { requestHash: string; responseBody: string }, requestHash: string): CheckoutOutcome {
  if (row.requestHash !== requestHash) {
    return {
      ok: false,
      code: "IDEMPOTENCY_KEY_REUSED",
      detail: "This Idempotency-Key was used for a different checkout",
    };
  }
  return { ok: true, body: JSON.parse(row.responseBody) as CheckoutResult, replayed: true };
}

function isUniqueViolation(err: unknown): boolean {
  return (
    err instanceof Error &&
    /UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(`${err.message} ${String(err.cause ?? "")}`)
  );
}

/** The SKUs of an order as its stored checkout answer lists them. */
function skuIdsIn(responseBody: string): Set<string> {
  const body = JSON.parse(responseBody) as CheckoutResult;
  return new Set(body.order.subOrders.flatMap((s) => s.lines.map((l) => l.skuId)));
}

/** A claim the stock objects refused, answered as checkout answers it. */
function refusedClaim(
  reserved: Extract<ReserveAllResult, { ok: false }>,
  plan: Extract<RoutePlan, { ok: true }>,
  cart: PreparedCart,
  holdTtlSeconds: number,
): CheckoutOutcome {
  if (reserved.limit) {
    return {
      ok: false,
      code: "RATE_LIMITED",
      detail: `At most ${reserved.limit.limit} units of ${reserved.limit.skuId} per customer at a time`,
      retryAfterSeconds: holdTtlSeconds,
    };
  }
  if (reserved.closed && reserved.closed.length > 0) {
    return {
      ok: false,
      code: "IDEMPOTENCY_KEY_REUSED",
      detail: "This Idempotency-Key belongs to a completed checkout",
    };
  }
  return {
    ok: false,
    code: "OUT_OF_STOCK",
    shortages: reserved.shortages.map((s) => {
      const lineIndex = plan.reservations.find((r) => r.skuId === s.skuId)!.lineIndex;
      const productId = cart.lines[lineIndex]!.productId;
      return { lineIndex, ...s, ...(productId !== undefined ? { productId } : {}) };
    }),
  };
}

/**
 * The spine: reserve every line under one hold, then write the whole order in one D1 batch.
 * The hold, order and payment ids derive from (customer, key, body), so concurrent duplicates
 * share one hold and collide on one row: one order, whatever the race.
 */
export async function checkout(
  env: Env,
  ctx: Background,
  input: { customer: Customer; idempotencyKey: string; body: CheckoutBody; now: Date },
): Promise<CheckoutOutcome> {
  const { customer, idempotencyKey, body, now } = input;
  const cfg = config(env);
  const db = database(env);
  const scope = `customer:${customer.customerId}`;
  const requestHash = await sha256Hex(canonical(body));
  const holdSeed = await sha256Hex(`${scope}\n${idempotencyKey}\n${requestHash}`);
  const holdId = `hold_${holdSeed.slice(0, 24)}`;
  const orderId = `ord_${holdSeed.slice(24, 48)}`;
  const nowIso = isoSeconds(now);

  if (body.currency && body.currency !== cfg.currency) {
    return {
      ok: false,
      code: "VALIDATION_FAILED",
      detail: `This marketplace sells in ${cfg.currency}`,
      errors: [{ path: "currency", message: `must be ${cfg.currency}` }],
    };
  }

  const prepared = await prepareCart(env, db, body, now, { fresh: false });
  if (!prepared.ok) {
    return {
      ok: false,
      code: "VALIDATION_FAILED",
      detail: "Some lines or the address cannot be used",
      errors: prepared.errors,
    };
  }
  const cart = prepared.cart;
  if (cart.hasProductLines) {
    // A retried product line may land on another offer, so a replay is answered before any claim.
    const row = await findIdempotentResponse(db, scope, idempotencyKey);
    if (row) return replay(row, requestHash);
  }

  // Routing ranks each SKU's warehouses; the stock objects answer first and have the final word.
  // A cart that cannot be covered is refused without touching D1, which is what keeps a rush on
  // one SKU at the speed of its object (the plan's inputs are cached per isolate).
  let plan = planRoute(routingRequest(cart, now, await readAvailability(env, stockNeeded(cart)), null));
  if (!plan.ok) return { ok: false, code: "OUT_OF_STOCK", shortages: plan.shortages };
  const expiresAt = addSeconds(now, cfg.holdTtlSeconds);
  const claim = (p: Extract<RoutePlan, { ok: true }>, reopen: boolean) =>
    reserveAll(
      env,
      holdId,
      p.reservations.map((r) => ({
        skuId: r.skuId,
        qty: r.qty,
        warehouses: r.warehouses,
        expiresAt: expiresAt.getTime(),
        customerId: customer.customerId,
        maxUnitsPerCustomer: cfg.maxUnitsPerSkuPerCustomer,
        reopen,
      })),
    );
  let reserved = await claim(plan, false);
  if (!reserved.ok && !reserved.limit && reserved.closed && reserved.closed.length > 0) {
    // This hold id was used before: either its order exists (replay it), or the attempt died
    // before writing and its hold expired, in which case the same cart may claim again.
    const row = await findIdempotentResponse(db, scope, idempotencyKey);
    if (row) return replay(row, requestHash);
    reserved = await claim(plan, true);
  }
  if (!reserved.ok) return refusedClaim(reserved, plan, cart, cfg.holdTtlSeconds);

  let skuIds = plan.reservations.map((r) => r.skuId);
  const context = await readCheckoutContext(db, {
    scope,
    key: idempotencyKey,
    customerId: customer.customerId,
    skuIds,
    now: nowIso,
    orderId,
    vendorIds: cart.vendorIds,
    hour: clockHour(now),
  });
  if (context.idempotent) {
    // Same body, same hold id: the hold is that order's (bar offers a product line picked only
    // this time). Another body claimed a hold of its own.
    const theirs =
      context.idempotent.requestHash === requestHash ? skuIdsIn(context.idempotent.responseBody) : new Set<string>();
    const mine = skuIds.filter((id) => !theirs.has(id));
    if (mine.length > 0) await releaseAll(env, holdId, mine, "duplicate_checkout");
    return replay(context.idempotent, requestHash);
  }

  // Hourly capacity is counted here, at reservation: a vendor already at its cap this clock hour
  // gives its units back and the cart is routed again around it, once. Exact for sequential
  // checkouts; concurrent ones that have not written their orders yet are not counted.
  let skuRows = context.skus;
  const vendorOf = new Map([...cart.offers.values()].map((o) => [o.skuId, o]));
  const full = [...new Set(skuIds.map((id) => vendorOf.get(id)!))].filter(
    (o) => (context.loads.get(o.vendorId) ?? 0) >= o.hourlyCapacity,
  );
  if (full.length > 0) {
    await releaseAll(env, holdId, skuIds, "vendor_at_capacity");
    plan = planRoute(routingRequest(cart, now, await readAvailability(env, stockNeeded(cart)), context.loads));
    if (!plan.ok) return { ok: false, code: "OUT_OF_STOCK", shortages: plan.shortages };
    reserved = await claim(plan, true);
    if (!reserved.ok) return refusedClaim(reserved, plan, cart, cfg.holdTtlSeconds);
    skuIds = plan.reservations.map((r) => r.skuId);
    const missing = skuIds.filter((id) => !skuRows.some((r) => r.skuId === id));
    if (missing.length > 0) skuRows = [...skuRows, ...(await offersByIds(db, missing))];
  }
  const routed = plan;
  const allocations = reserved.allocations;

  const skuById = new Map(skuRows.map((s) => [s.skuId, s]));
  const errors: FieldError[] = [];
  for (const r of routed.reservations) {
    const sku = skuById.get(r.skuId);
    if (sku?.skuStatus !== "active" || sku.vendorStatus !== "active") {
      const line = cart.lines[r.lineIndex]!;
      errors.push({
        path: `lines.${r.lineIndex}.${line.skuId !== undefined ? "skuId" : "productId"}`,
        message: line.skuId !== undefined ? "this SKU is not for sale" : "the offer routing chose is not for sale",
      });
    }
  }
  if (errors.length > 0) {
    await releaseAll(env, holdId, skuIds, "not_for_sale");
    return { ok: false, code: "VALIDATION_FAILED", detail: "Some lines cannot be sold", errors };
  }
  if (context.openHolds.open >= cfg.maxOpenHoldsPerCustomer) {
    await releaseAll(env, holdId, skuIds, "customer_limit");
    const earliest = context.openHolds.earliest ? Date.parse(context.openHolds.earliest) : now.getTime() + 60_000;
    return {
      ok: false,
      code: "RATE_LIMITED",
      detail: `At most ${cfg.maxOpenHoldsPerCustomer} unpaid orders at a time; pay or cancel one first`,
      retryAfterSeconds: Math.max(1, Math.ceil((earliest - now.getTime()) / 1000)),
    };
  }

  // The shopper pays the price read now (the stock is held), for the offer the stock went to,
  // plus each vendor's parcels by the rate cards.
  const terms = new Map<string, VendorTerms>(
    skuRows.map((s) => [s.vendorId, { vendorId: s.vendorId, commissionBps: s.commissionBps }]),
  );
  const priced: PricedLine[] = [];
  const items: ShipmentItem[] = [];
  const actual = new Map<number, Allocation[]>();
  for (const r of routed.reservations) {
    const sku = skuById.get(r.skuId)!;
    const productId = cart.lines[r.lineIndex]!.productId;
    const allocs = allocations.get(r.skuId) ?? [];
    priced.push({
      lineIndex: r.lineIndex,
      skuId: r.skuId,
      ...(productId !== undefined ? { productId } : {}),
      vendorId: sku.vendorId,
      unitPriceMinor: sku.priceMinor,
      allocations: allocs,
    });
    for (const a of allocs) {
      items.push({
        lineIndex: r.lineIndex,
        skuId: r.skuId,
        vendorId: sku.vendorId,
        warehouseId: a.warehouseId,
        qty: a.qty,
        unitPriceMinor: sku.priceMinor,
        weightGrams: vendorOf.get(r.skuId)!.weightGrams,
      });
    }
    actual.set(r.lineIndex, [
      ...(actual.get(r.lineIndex) ?? []),
      ...allocs.map((a) => ({ skuId: r.skuId, vendorId: sku.vendorId, warehouseId: a.warehouseId, qty: a.qty })),
    ]);
  }
  const parcels = perVendor(shipmentsOf(shipmentContext(cart, now), items));
  const split = splitOrder(priced, terms, new Map([...parcels].map(([vendorId, p]) => [vendorId, p.shippingMinor])));
  const explanation = explain(routed, cart.model.weights, actual);

  const provider = paymentProvider(env);
  const created = await provider.create({
    orderId,
    customerId: customer.customerId,
    amount: { amountMinor: split.totalMinor, currency: cfg.currency },
    idempotencyKey: `checkout:${holdId}`,
  });
  if (!created.ok) {
    await releaseAll(env, holdId, skuIds, "payment_create_failed");
    return { ok: false, code: "PAYMENT_PROVIDER_ERROR", detail: created.message };
  }

  const heldForReview = shouldHoldForReview(split.totalMinor, cfg.reviewThresholdMinor);
  const orderRow: typeof orders.$inferSelect = {
    id: orderId,
    customerId: customer.customerId,
    status: "pending_payment",
    paymentStatus: "unpaid",
    currency: cfg.currency,
    totalMinor: split.totalMinor,
    shipTo: body.shipTo,
    shipLat: cart.point.lat,
    shipLng: cart.point.lng,
    holdId,
    holdExpiresAt: isoSeconds(expiresAt),
    reviewHeld: heldForReview,
    reviewNote: heldForReview ? AUTO_REVIEW_NOTE : null,
    paidAt: null,
    createdAt: nowIso,
    updatedAt: nowIso,
  };
  const subRows: (typeof subOrders.$inferSelect)[] = [];
  const lineRows: (typeof lineItems.$inferSelect)[] = [];
  for (const sub of split.subOrders) {
    const subId = newId("sub");
    subRows.push({
      id: subId,
      orderId,
      vendorId: sub.vendorId,
      status: "pending_payment",
      currency: cfg.currency,
      subtotalMinor: sub.subtotalMinor,
      shippingMinor: sub.shippingMinor,
      totalMinor: sub.totalMinor,
      commissionBps: sub.commissionBps,
      commissionMinor: sub.commissionMinor,
      slaDispatchBy: null,
      promisedDeliveryBy: parcels.has(sub.vendorId) ? isoSeconds(parcels.get(sub.vendorId)!.deliveryBy) : null,
      confirmedAt: null,
      packedAt: null,
      dispatchedAt: null,
      deliveredAt: null,
      returnedAt: null,
      cancelledAt: null,
      nudgedAt: null,
      photoKey: null,
      carrier: null,
      awb: null,
      cancellationReason: null,
      createdAt: nowIso,
      updatedAt: nowIso,
    });
    for (const l of sub.lines) {
      lineRows.push({
        id: newId("li"),
        orderId,
        subOrderId: subId,
        currency: cfg.currency,
        returnedQty: 0,
        ...l,
      });
    }
  }
  const placed: OrderAggregate["events"][number] = {
    id: 0,
    orderId,
    subOrderId: null,
    type: "order.placed",
    at: nowIso,
    actorRole: "customer",
    actorId: customer.customerId,
    reason: null,
    data: { subOrders: subRows.length },
    dedupeKey: `order.placed:${orderId}`,
  };
  const events = [placed];
  if (heldForReview) {
    events.push({
      ...placed,
      type: "order.flagged",
      actorRole: "system",
      actorId: "review-rule",
      reason: AUTO_REVIEW_NOTE,
      dedupeKey: `order.flagged:${orderId}:${nowIso}`,
    });
  }
  const paymentRow: typeof payments.$inferSelect = {
    id: created.value.id,
    orderId,
    provider: provider.name,
    status: "requires_payment",
    amountMinor: split.totalMinor,
    refundedMinor: 0,
    currency: cfg.currency,
    clientSecret: created.value.clientSecret ?? null,
    createdAt: nowIso,
    updatedAt: nowIso,
  };
  const aggregate: OrderAggregate = {
    order: orderRow,
    subOrders: subRows,
    lines: lineRows,
    events,
    payment: paymentRow,
  };
  const result: CheckoutResult = {
    order: orderViewFor(aggregate, customer)!,
    payment: {
      provider: provider.name,
      id: paymentRow.id,
      status: "requires_payment",
      ...(paymentRow.clientSecret ? { clientSecret: paymentRow.clientSecret } : {}),
      holdExpiresAt: orderRow.holdExpiresAt,
    },
  };

  const eventRows = events.map(({ id: _eventId, ...row }) => row);
  let written: OutboxRow[];
  try {
    const results = await db.batch([
      // Second, so its index stays fixed however many statements the rows below take.
      db
        .insert(outbox)
        .values({
          type: "order.placed",
          orderId,
          payload: {
            orderId,
            customerId: customer.customerId,
            subOrders: subRows.map((s) => ({ id: s.id, vendorId: s.vendorId })),
            ...(heldForReview ? { review: { held: true, note: AUTO_REVIEW_NOTE } } : {}),
          },
          dedupeKey: `order.placed:${orderId}`,
          createdAt: nowIso,
        })
        .returning(),
      db.insert(idempotencyKeys).values({
        scope,
        key: idempotencyKey,
        requestHash,
        responseStatus: 201,
        responseBody: JSON.stringify(result),
        createdAt: nowIso,
        expiresAt: isoSeconds(addSeconds(now, IDEMPOTENCY_RETENTION_SECONDS)),
      }),
      db.insert(orders).values(orderRow),
      ...rowsPerInsert(subRows).map((rows) => db.insert(subOrders).values(rows)),
      ...rowsPerInsert(lineRows).map((rows) => db.insert(lineItems).values(rows)),
      db.insert(payments).values(paymentRow),
      db.insert(orderEvents).values(eventRows),
      insertRoutingDecision(db, {
        orderId,
        weightsVersion: explanation.weightsVersion,
        explanation,
        createdAt: nowIso,
      }),
    ]);
    written = results[0];
  } catch (err) {
    if (isUniqueViolation(err)) {
      // A concurrent duplicate won. Same body means the same hold id: the hold is the winner's now.
      const row = await findIdempotentResponse(db, scope, idempotencyKey);
      if (row) {
        if (row.requestHash !== requestHash) await releaseAll(env, holdId, skuIds, "duplicate_checkout");
        return replay(row, requestHash);
      }
    }
    await releaseAll(env, holdId, skuIds, "checkout_failed");
    throw err;
  }
  ctx.waitUntil(dispatchOutboxRows(env, written, now));
  return { ok: true, body: result, replayed: false };
}

/** D1 binds at most 100 parameters per statement, and a multi-row insert binds one per column of each row. */
function rowsPerInsert<T extends object>(rows: T[]): T[][] {
  return chunks(rows, Math.max(1, Math.floor(100 / Object.keys(rows[0] ?? {}).length)));
}
