import { config } from "../config";
import type { FieldError } from "../contracts/common";
import type { CheckoutBody, CheckoutResult } from "../contracts/orders";
import { database } from "../db/client";
import { findIdempotentResponse, type OrderAggregate, readCheckoutContext } from "../db/orders";
import { idempotencyKeys, lineItems, orderEvents, orders, outbox, payments, subOrders } from "../db/schema";
import { postalPoint, shipFrom } from "../db/ship-from";
import { sha256Hex } from "../domain/crypto";
import { resolveShippingPoint } from "../domain/geo";
import { newId } from "../domain/ids";
import { splitOrder, type VendorTerms } from "../domain/order-split";
import type { Principal } from "../domain/principal";
import { addSeconds, isoSeconds } from "../domain/time";
import { rankByDistance } from "../domain/warehouse-ranking";
import { dispatchOutboxRows, type OutboxRow } from "../gateways/order-events";
import { paymentProvider } from "../gateways/payment-provider";
import { releaseAll, reserveAll } from "../gateways/stock";
import type { Background } from "./cancellation";
import { orderViewFor } from "./view";

type Customer = Extract<Principal, { role: "customer" }>;

export type CheckoutOutcome =
  | { ok: true; body: CheckoutResult; replayed: boolean }
  | { ok: false; code: "IDEMPOTENCY_KEY_REUSED"; detail: string }
  | { ok: false; code: "VALIDATION_FAILED"; detail: string; errors: FieldError[] }
  | {
      ok: false;
      code: "OUT_OF_STOCK";
      shortages: { lineIndex: number; skuId: string; requested: number; available: number }[];
    }
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

  const skuIds = body.lines.map((l) => l.skuId);
  const origins = await shipFrom(db, skuIds);
  const errors: FieldError[] = [];
  body.lines.forEach((line, i) => {
    if (!origins.has(line.skuId)) errors.push({ path: `lines.${i}.skuId`, message: "unknown SKU" });
  });
  const shipping = await resolveShippingPoint(
    { ...body.shipTo, country: body.shipTo.address.country, postalCode: body.shipTo.address.postalCode },
    (country, code) => postalPoint(db, country, code),
  );
  if (!shipping.ok)
    errors.push({ path: "shipTo.address.postalCode", message: "unknown postal code; send lat and lng" });
  if (errors.length > 0 || !shipping.ok) {
    return { ok: false, code: "VALIDATION_FAILED", detail: "Some lines or the address cannot be used", errors };
  }

  // The stock objects answer first: a cart that cannot be covered is refused without touching D1,
  // which is what keeps a rush on one SKU at the speed of its object.
  const expiresAt = addSeconds(now, cfg.holdTtlSeconds);
  const claim = (reopen: boolean) =>
    reserveAll(
      env,
      holdId,
      body.lines.map((line) => ({
        skuId: line.skuId,
        qty: line.qty,
        warehouses: rankByDistance(origins.get(line.skuId)!.sites, shipping.point),
        expiresAt: expiresAt.getTime(),
        customerId: customer.customerId,
        maxUnitsPerCustomer: cfg.maxUnitsPerSkuPerCustomer,
        reopen,
      })),
    );
  let reserved = await claim(false);
  if (!reserved.ok && !reserved.limit && reserved.closed && reserved.closed.length > 0) {
    // This hold id was used before: either its order exists (replay it), or the attempt died
    // before writing and its hold expired, in which case the same cart may claim again.
    const row = await findIdempotentResponse(db, scope, idempotencyKey);
    if (row) return replay(row, requestHash);
    reserved = await claim(true);
  }
  if (!reserved.ok) {
    if (reserved.limit) {
      return {
        ok: false,
        code: "RATE_LIMITED",
        detail: `At most ${reserved.limit.limit} units of ${reserved.limit.skuId} per customer at a time`,
        retryAfterSeconds: cfg.holdTtlSeconds,
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
      shortages: reserved.shortages.map((s) => ({ lineIndex: skuIds.indexOf(s.skuId), ...s })),
    };
  }

  const context = await readCheckoutContext(db, {
    scope,
    key: idempotencyKey,
    customerId: customer.customerId,
    skuIds,
    now: nowIso,
  });
  if (context.idempotent) {
    // Same body, same hold id: the hold is that order's. Another body claimed a hold of its own.
    if (context.idempotent.requestHash !== requestHash) await releaseAll(env, holdId, skuIds, "duplicate_checkout");
    return replay(context.idempotent, requestHash);
  }
  const skuById = new Map(context.skus.map((s) => [s.skuId, s]));
  body.lines.forEach((line, i) => {
    const sku = skuById.get(line.skuId);
    if (sku?.skuStatus !== "active" || sku.vendorStatus !== "active") {
      errors.push({ path: `lines.${i}.skuId`, message: "this SKU is not for sale" });
    }
  });
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

  const terms = new Map<string, VendorTerms>(
    context.skus.map((s) => [s.vendorId, { vendorId: s.vendorId, commissionBps: s.commissionBps }]),
  );
  const split = splitOrder(
    body.lines.map((line, lineIndex) => {
      const sku = skuById.get(line.skuId)!;
      return {
        lineIndex,
        skuId: line.skuId,
        vendorId: sku.vendorId,
        unitPriceMinor: sku.priceMinor,
        allocations: reserved.allocations.get(line.skuId) ?? [],
      };
    }),
    terms,
  );

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

  const orderRow: typeof orders.$inferSelect = {
    id: orderId,
    customerId: customer.customerId,
    status: "pending_payment",
    paymentStatus: "unpaid",
    currency: cfg.currency,
    totalMinor: split.totalMinor,
    shipTo: body.shipTo,
    shipLat: shipping.point.lat,
    shipLng: shipping.point.lng,
    holdId,
    holdExpiresAt: isoSeconds(expiresAt),
    reviewHeld: false,
    reviewNote: null,
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
      promisedDeliveryBy: null,
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
        productId: null,
        returnedQty: 0,
        ...l,
      });
    }
  }
  const placed = {
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
    events: [placed],
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

  const { id: _eventId, ...placedRow } = placed;
  let written: OutboxRow[];
  try {
    const results = await db.batch([
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
      db.insert(subOrders).values(subRows),
      db.insert(lineItems).values(lineRows),
      db.insert(payments).values(paymentRow),
      db.insert(orderEvents).values(placedRow),
      db
        .insert(outbox)
        .values({
          type: "order.placed",
          orderId,
          payload: {
            orderId,
            customerId: customer.customerId,
            subOrders: subRows.map((s) => ({ id: s.id, vendorId: s.vendorId })),
          },
          dedupeKey: `order.placed:${orderId}`,
          createdAt: nowIso,
        })
        .returning(),
    ]);
    written = results[6];
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
