import type { OrderView, ShipTo } from "../contracts/orders";
import type { OrderAggregate } from "../db/orders";
import type { OrderPaymentStatus, OrderStatus, SubOrderStatus } from "../domain/order-status";
import type { Principal } from "../domain/principal";

/**
 * What a principal may see of an order, or null when it may see nothing (answered as 404, so an
 * order's existence never leaks). A vendor sees only its own sub-orders and no parent total.
 */
export function orderViewFor(agg: OrderAggregate, who: Principal): OrderView | null {
  const { order } = agg;
  if (who.role === "customer" && order.customerId !== who.customerId) return null;
  const vendorId = who.role === "vendor" ? who.vendorId : null;
  const subs = vendorId ? agg.subOrders.filter((s) => s.vendorId === vendorId) : agg.subOrders;
  if (vendorId && subs.length === 0) return null;
  const visibleSubs = new Set(subs.map((s) => s.id));
  const money = (amountMinor: number) => ({ amountMinor, currency: order.currency });
  return {
    id: order.id,
    status: order.status as OrderStatus,
    paymentStatus: order.paymentStatus as OrderPaymentStatus,
    customerId: order.customerId,
    shipTo: order.shipTo as ShipTo,
    ...(vendorId ? {} : { total: money(order.totalMinor) }),
    createdAt: order.createdAt,
    review: order.reviewHeld || order.reviewNote ? { held: order.reviewHeld, note: order.reviewNote } : null,
    subOrders: subs.map((s) => ({
      id: s.id,
      vendorId: s.vendorId,
      status: s.status as SubOrderStatus,
      slaDispatchBy: s.slaDispatchBy,
      cancellationReason: s.cancellationReason,
      shipping: money(s.shippingMinor),
      total: money(s.totalMinor),
      lines: agg.lines
        .filter((l) => l.subOrderId === s.id)
        .map((l) => ({
          id: l.id,
          skuId: l.skuId,
          warehouseId: l.warehouseId,
          qty: l.qty,
          unitPrice: money(l.unitPriceMinor),
          lineTotal: money(l.lineTotalMinor),
        })),
    })),
    timeline: agg.events
      .filter((e) => !vendorId || e.subOrderId === null || visibleSubs.has(e.subOrderId))
      .map((e) => ({
        at: e.at,
        type: e.type,
        ...(e.subOrderId ? { subOrderId: e.subOrderId } : {}),
        actor: { role: e.actorRole as OrderView["timeline"][number]["actor"]["role"], id: e.actorId },
        reason: e.reason,
      })),
  };
}
