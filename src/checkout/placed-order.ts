import type { CheckoutBody, CheckoutResult } from "../contracts/orders";
import type { PlacedOrder } from "../db/checkout-writes";
import { IDEMPOTENCY_RETENTION_SECONDS } from "../db/idempotency";
import type { LineItemRow, OrderAggregate, OrderEventRow, OrderRow, PaymentRow, SubOrderRow } from "../db/orders";
import { newId } from "../domain/ids";
import type { RoutingExplanation } from "../domain/routing/explain";
import { addSeconds, isoSeconds } from "../domain/time";
import { orderViewFor } from "../orders/view";
import { AUTO_REVIEW_NOTE, shouldHoldForReview } from "../review/review";
import type { PreparedCart } from "../routing/cart";
import type { Placing } from "./attempt";
import type { Priced } from "./price";

/**
 * The rows of a new order awaiting payment, and the answer the shopper gets (stored with the
 * idempotency key, so a replay answers the same body).
 */
export function placedOrder(
  a: Placing,
  body: CheckoutBody,
  cart: PreparedCart,
  priced: Priced,
  payment: PaymentRow,
  explanation: RoutingExplanation,
): { placed: PlacedOrder; result: CheckoutResult } {
  const heldForReview = shouldHoldForReview(priced.split.totalMinor, a.cfg.reviewThresholdMinor);
  const order = orderRow(a, body, cart, priced.split.totalMinor, heldForReview);
  const { subOrders, lines } = subOrderRows(a, priced);
  const events = timeline(a, subOrders.length, heldForReview);
  const aggregate: OrderAggregate = { order, subOrders, lines, events, payment };
  const result: CheckoutResult = {
    order: orderViewFor(aggregate, a.customer)!,
    payment: {
      provider: payment.provider,
      id: payment.id,
      status: "requires_payment",
      ...(payment.clientSecret ? { clientSecret: payment.clientSecret } : {}),
      ...(payment.provider === "stripe" && a.cfg.stripePublishableKey
        ? { publishableKey: a.cfg.stripePublishableKey }
        : {}),
      holdExpiresAt: order.holdExpiresAt,
    },
  };
  const placed: PlacedOrder = {
    idempotency: {
      scope: a.scope,
      key: a.key,
      requestHash: a.requestHash,
      responseStatus: 201,
      responseBody: JSON.stringify(result),
      createdAt: a.nowIso,
      expiresAt: isoSeconds(addSeconds(a.now, IDEMPOTENCY_RETENTION_SECONDS)),
    },
    order,
    subOrders,
    lines,
    payment,
    events: events.map(({ id: _eventId, ...row }) => row),
    outbox: {
      type: "order.placed",
      orderId: a.orderId,
      payload: {
        orderId: a.orderId,
        customerId: a.customer.customerId,
        subOrders: subOrders.map((s) => ({ id: s.id, vendorId: s.vendorId })),
        ...(heldForReview ? { review: { held: true, note: AUTO_REVIEW_NOTE } } : {}),
      },
      dedupeKey: `order.placed:${a.orderId}`,
      createdAt: a.nowIso,
    },
    routing: { orderId: a.orderId, weightsVersion: explanation.weightsVersion, explanation, createdAt: a.nowIso },
  };
  return { placed, result };
}

function orderRow(
  a: Placing,
  body: CheckoutBody,
  cart: PreparedCart,
  totalMinor: number,
  heldForReview: boolean,
): OrderRow {
  return {
    id: a.orderId,
    customerId: a.customer.customerId,
    status: "pending_payment",
    paymentStatus: "unpaid",
    currency: a.cfg.currency,
    totalMinor,
    shipTo: body.shipTo,
    shipLat: cart.point.lat,
    shipLng: cart.point.lng,
    holdId: a.holdId,
    holdExpiresAt: isoSeconds(a.holdExpiresAt),
    reviewHeld: heldForReview,
    reviewNote: heldForReview ? AUTO_REVIEW_NOTE : null,
    paidAt: null,
    createdAt: a.nowIso,
    updatedAt: a.nowIso,
  };
}

/** One sub-order per vendor of the split, its SLA clock not started until payment. */
function subOrderRows(a: Placing, priced: Priced): { subOrders: SubOrderRow[]; lines: LineItemRow[] } {
  const subOrders: SubOrderRow[] = [];
  const lines: LineItemRow[] = [];
  for (const sub of priced.split.subOrders) {
    const subId = newId("sub");
    const parcels = priced.parcels.get(sub.vendorId);
    subOrders.push({
      id: subId,
      orderId: a.orderId,
      vendorId: sub.vendorId,
      status: "pending_payment",
      currency: a.cfg.currency,
      subtotalMinor: sub.subtotalMinor,
      shippingMinor: sub.shippingMinor,
      totalMinor: sub.totalMinor,
      commissionBps: sub.commissionBps,
      commissionMinor: sub.commissionMinor,
      slaDispatchBy: null,
      slaStartedAt: null,
      promisedDeliveryBy: parcels ? isoSeconds(parcels.deliveryBy) : null,
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
      createdAt: a.nowIso,
      updatedAt: a.nowIso,
    });
    for (const l of sub.lines) {
      lines.push({
        id: newId("li"),
        orderId: a.orderId,
        subOrderId: subId,
        currency: a.cfg.currency,
        returnedQty: 0,
        unitAdjustmentMinor: 0,
        ...l,
      });
    }
  }
  return { subOrders, lines };
}

/** The order's first timeline events: placed, and flagged when the review rule holds it. */
function timeline(a: Placing, subOrderCount: number, heldForReview: boolean): OrderEventRow[] {
  const placed: OrderEventRow = {
    id: 0,
    orderId: a.orderId,
    subOrderId: null,
    type: "order.placed",
    at: a.nowIso,
    actorRole: "customer",
    actorId: a.customer.customerId,
    reason: null,
    data: { subOrders: subOrderCount },
    dedupeKey: `order.placed:${a.orderId}`,
  };
  if (!heldForReview) return [placed];
  return [
    placed,
    {
      ...placed,
      type: "order.flagged",
      actorRole: "system",
      actorId: "review-rule",
      reason: AUTO_REVIEW_NOTE,
      dedupeKey: `order.flagged:${a.orderId}:${a.nowIso}`,
    },
  ];
}
