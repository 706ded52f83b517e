import { NOT_FOR_SHOPPERS, SHOPPER_REFUND_EVENTS } from "../contracts/events";
import type { OrderPaymentStatus, OrderStatus, SubOrderStatus } from "../contracts/order-status";
import { REASSIGNED } from "../contracts/order-status";
import {
  type CreditNoteLink,
  creditNotePdfPath,
  type OrderView,
  type PendingRefund,
  type ShipTo,
} from "../contracts/orders";
import type { RoutingView } from "../contracts/routing";
import type { OrderAggregate, OrderNames } from "../db/orders";
import type { PendingRefundRow } from "../db/payments";
import { creditNoteNumber, type FinancialYearRule } from "../domain/financial-year";
import { sumMinor } from "../domain/money";
import type { Principal } from "../domain/principal";
import type { RoutingExplanation } from "../domain/routing/explain";

/** A sub-order whose every line was moved to another vendor's by an override: nothing left to ship. */
export { REASSIGNED };

/**
 * The sub-orders a shopper is shown: not the shells an override emptied (cancelled as `reassigned`),
 * which are no part of the parent's story. The order view and the order list both apply it.
 */
export function shownToShopper<S extends { status: string; cancellationReason: string | null }>(
  subs: readonly S[],
): S[] {
  return subs.filter((s) => !(s.status === "cancelled" && s.cancellationReason === REASSIGNED));
}

/**
 * Timeline events whose reason is ops' own words: the review note, and why ops moved lines
 * (which may judge a vendor). Others see that it happened, not why.
 */
const STAFF_REASON_EVENTS = new Set([
  "order.flagged",
  "order.approved",
  "sub_order.reassigned",
  "sub_order.reassigned_in",
]);

/**
 * The sub-order statuses in which its vendor needs the shopper's name, phone and address: to pack,
 * ship and take back. Before payment and after a cancel the vendor has no use for them.
 */
const ADDRESS_NEEDED: ReadonlySet<string> = new Set([
  "paid",
  "confirmed",
  "packed",
  "dispatched",
  "delivered",
  "returned",
]);

/**
 * What a principal may see of an order, or null when it may see nothing (answered as 404, so an
 * order's existence never leaks). A vendor sees only its own sub-orders and no parent total, and
 * nothing of an order held for review, nor the address of one it has nothing to ship for. The
 * review note is for ops and admins: a customer learns only that its order is held, and its timeline
 * leaves out the marketplace's own work (NOT_FOR_SHOPPERS) and the shells it is not shown; a vendor's
 * leaves out how the shopper's refund reached them (SHOPPER_REFUND_EVENTS).
 */
export function orderViewFor(agg: OrderAggregate, who: Principal): OrderView | null {
  const { order } = agg;
  if (who.role === "customer" && order.customerId !== who.customerId) return null;
  if (who.role === "vendor" && order.reviewHeld) return null;
  const staff = who.role === "ops" || who.role === "admin";
  const vendorId = who.role === "vendor" ? who.vendorId : null;
  const subs = vendorId ? agg.subOrders.filter((s) => s.vendorId === vendorId) : agg.subOrders;
  if (vendorId && subs.length === 0) return null;
  const customer = who.role === "customer";
  const shownSubs = customer ? shownToShopper(subs) : subs;
  const visibleSubs = new Set(shownSubs.map((s) => s.id));
  const money = (amountMinor: number) => ({ amountMinor, currency: order.currency });
  return {
    id: order.id,
    status: order.status as OrderStatus,
    paymentStatus: order.paymentStatus as OrderPaymentStatus,
    customerId: order.customerId,
    shipTo: vendorId && !subs.some((s) => ADDRESS_NEEDED.has(s.status)) ? null : (order.shipTo as ShipTo),
    ...(vendorId ? {} : { total: money(order.totalMinor) }),
    createdAt: order.createdAt,
    review: reviewFor(agg, staff),
    subOrders: shownSubs.map((s) => ({
      id: s.id,
      vendorId: s.vendorId,
      ...named("vendorName", agg.names?.vendors.get(s.vendorId)),
      status: s.status as SubOrderStatus,
      slaDispatchBy: s.slaDispatchBy,
      carrier: s.carrier,
      awb: s.awb,
      cancellationReason: s.cancellationReason,
      shipping: money(s.shippingMinor),
      total: money(s.totalMinor),
      lines: agg.lines
        .filter((l) => l.subOrderId === s.id)
        .map((l) => ({
          id: l.id,
          skuId: l.skuId,
          warehouseId: l.warehouseId,
          ...named("productTitle", agg.names?.skus.get(l.skuId)?.productTitle),
          ...named("skuTitle", agg.names?.skus.get(l.skuId)?.title),
          ...named("warehouseName", agg.names?.warehouses.get(l.warehouseId)),
          qty: l.qty,
          unitPrice: money(l.unitPriceMinor),
          lineTotal: money(l.lineTotalMinor),
        })),
      ...(staff ? { refundPending: pendingRefundView(agg, s.id) } : {}),
    })),
    timeline: agg.events
      .filter((e) => (!vendorId && !customer) || e.subOrderId === null || visibleSubs.has(e.subOrderId))
      .filter((e) => !customer || !NOT_FOR_SHOPPERS.has(e.type))
      .filter((e) => !vendorId || !SHOPPER_REFUND_EVENTS.has(e.type))
      .map((e) => ({
        at: e.at,
        type: e.type,
        ...(e.subOrderId ? { subOrderId: e.subOrderId } : {}),
        actor: { role: e.actorRole as OrderView["timeline"][number]["actor"]["role"], id: e.actorId },
        reason: staff || !STAFF_REASON_EVENTS.has(e.type) ? e.reason : null,
      })),
    ...(staff && agg.routing ? { routing: routingView(agg) } : {}),
  };
}

/**
 * The order's credit notes a principal may read, by the PDF route's own rule: the shopper all of its
 * order's, a vendor those of its own sub-orders, ops and admins all. Numbers are printed by the
 * marketplace's financial year (`rule`), as the notes themselves are numbered.
 */
export function creditNotesFor(agg: OrderAggregate, who: Principal, rule: FinancialYearRule): CreditNoteLink[] {
  if (who.role === "customer" && agg.order.customerId !== who.customerId) return [];
  const own =
    who.role === "vendor" ? new Set(agg.subOrders.filter((s) => s.vendorId === who.vendorId).map((s) => s.id)) : null;
  return (agg.creditNotes ?? [])
    .filter((n) => !own || own.has(n.subOrderId))
    .map((n) => ({
      id: n.id,
      subOrderId: n.subOrderId,
      number: n.financialYear === null || n.number === null ? null : creditNoteNumber(n.financialYear, n.number, rule),
      amountMinor: n.amountMinor,
      currency: n.currency,
      reason: n.reason,
      issuedAt: n.createdAt,
      pdfUrl: creditNotePdfPath(n.id),
    }));
}

/** `{ [field]: name }`, or nothing when the name is unknown (checkout's reply, or a row gone since). */
function named<K extends string>(field: K, name: string | undefined): { [P in K]?: string } {
  return (name === undefined ? {} : { [field]: name }) as { [P in K]?: string };
}

type Place = { vendorId: string; warehouseId: string; skuId: string };

/** A routing placement's ids with the names a person reads for them. */
function placeNames(names: OrderNames | undefined, p: Place) {
  return {
    ...named("vendorName", names?.vendors.get(p.vendorId)),
    ...named("warehouseName", names?.warehouses.get(p.warehouseId)),
    ...named("skuTitle", names?.skus.get(p.skuId)?.title),
  };
}

/** The product a routing line asked for: its SKU's, or a product line's as any offer of it names it. */
function lineProductTitle(names: OrderNames | undefined, l: { skuId?: string; productId?: string }) {
  if (!names) return undefined;
  if (l.skuId !== undefined) return names.skus.get(l.skuId)?.productTitle;
  return [...names.skus.values()].find((n) => n.productId === l.productId)?.productTitle;
}

/**
 * The routing reason as a person reads it: routing wrote it with ids (it decides on ids), so each
 * vendor, warehouse and SKU id the order's names know is replaced by its name.
 */
function readableReason(names: OrderNames, reason: string): string {
  const byId = new Map<string, string>([
    ...names.vendors,
    ...names.warehouses,
    ...[...names.skus].map(([id, n]) => [id, n.title] as [string, string]),
  ]);
  return reason.replace(/\b(?:ven|wh|sku)_[0-9a-z]+\b/g, (id) => byId.get(id) ?? id);
}

/**
 * The refund still owed for the sub-order, as ops see it: its cancel's, or its returns' (one per
 * return whose refund the provider has not made yet) as one: their amounts summed, owed since the
 * oldest, the most attempts any took, the newest one's latest provider answer.
 */
export function pendingRefundView(agg: Pick<OrderAggregate, "pendingRefunds">, subOrderId: string) {
  const owed = (agg.pendingRefunds ?? [])
    .filter((p) => p.subOrderId === subOrderId)
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
  if (owed.length === 0) return null;
  const [first] = owed;
  return {
    ...refundOwed(first!),
    amount: { amountMinor: sumMinor(owed.map((p) => p.amountMinor)), currency: first!.currency },
    reason: [...new Set(owed.map((p) => p.reason))].join("; "),
    attempts: Math.max(...owed.map((p) => p.attempts)),
    lastError: owed.findLast((p) => p.lastError !== null)?.lastError ?? null,
  };
}

export function refundOwed(p: PendingRefundRow): PendingRefund {
  return {
    id: p.id,
    kind: p.kind,
    subOrderId: p.subOrderId,
    orderId: p.orderId,
    amount: { amountMinor: p.amountMinor, currency: p.currency },
    reason: p.reason,
    since: p.createdAt,
    attempts: p.attempts,
    lastError: p.lastError,
    nextAttemptAt: p.nextAttemptAt,
    awaitingOps: p.awaitingOps,
  };
}

function reviewFor({ order }: OrderAggregate, staff: boolean): OrderView["review"] {
  if (staff) return order.reviewHeld || order.reviewNote ? { held: order.reviewHeld, note: order.reviewNote } : null;
  return order.reviewHeld ? { held: true, note: null } : null;
}

/** The routing record with each cart line's current first line item, and money in the order's currency. */
function routingView(agg: OrderAggregate): RoutingView {
  const record = agg.routing!.explanation as RoutingExplanation;
  const money = (amountMinor: number) => ({ amountMinor, currency: agg.order.currency });
  const { names } = agg;
  const placement = (p: Place & { qty: number }) => ({
    vendorId: p.vendorId,
    warehouseId: p.warehouseId,
    skuId: p.skuId,
    qty: p.qty,
    ...placeNames(names, p),
  });
  return {
    weightsVersion: record.weightsVersion,
    weights: record.weights,
    windowHours: record.windowHours,
    lines: record.lines.map((l) => ({
      lineId: agg.lines.find((li) => li.lineIndex === l.lineIndex)?.id ?? null,
      lineIndex: l.lineIndex,
      ...(l.skuId !== undefined ? { skuId: l.skuId } : {}),
      ...(l.productId !== undefined ? { productId: l.productId } : {}),
      ...named("productTitle", lineProductTitle(names, l)),
      qty: l.qty,
      chosen: l.chosen.map(placement),
      ...(l.planned ? { planned: l.planned.map(placement) } : {}),
      candidates: l.candidates.map((c) => ({
        vendorId: c.vendorId,
        warehouseId: c.warehouseId,
        skuId: c.skuId,
        ...placeNames(names, c),
        scores: c.scores,
        total: c.total,
        available: c.available,
        distanceKm: c.distanceKm,
        shipping: money(c.shippingMinor),
        windowHours: c.windowHours,
        ...(c.excluded ? { excluded: c.excluded } : {}),
      })),
      omitted: l.omitted,
      reason: l.reason,
      ...named("reasonNamed", names ? readableReason(names, l.reason) : undefined),
    })),
  };
}
