import {
  beforeDispatchStatuses,
  type OrderPaymentStatus,
  type OrderStatus,
  REASSIGNED,
  type SubOrderStatus,
} from "../contracts/order-status";

const shippedOrLater = new Set<SubOrderStatus>(["dispatched", "delivered", "returned"]);
const deliveredOrLater = new Set<SubOrderStatus>(["delivered", "returned"]);

/**
 * The parent's status is never stored independently of its sub-orders: it is this function of them.
 * Cancelled sub-orders drop out; the rest say how far the order has travelled. While nothing of the
 * rest has shipped, a partial cancellation is the most useful thing to say.
 */
export function deriveOrderStatus(subs: readonly SubOrderStatus[]): OrderStatus {
  const live = subs.filter((s) => s !== "cancelled");
  if (live.length === 0) return "cancelled";
  if (live.every((s) => s === "pending_payment")) return "pending_payment";
  const delivered = live.filter((s) => deliveredOrLater.has(s)).length;
  const shipped = live.filter((s) => shippedOrLater.has(s)).length;
  if (delivered === live.length) return "delivered";
  if (delivered > 0) return "partially_delivered";
  if (shipped === live.length) return "dispatched";
  if (shipped > 0) return "partially_dispatched";
  return live.length < subs.length ? "partially_cancelled" : "paid";
}

/** A sub-order before dispatch can still be cancelled; after it, only returns apply. */
export function isBeforeDispatch(s: SubOrderStatus): boolean {
  return beforeDispatchStatuses.includes(s);
}

export function derivePaymentStatus(paidMinor: number, refundedMinor: number, captured: boolean): OrderPaymentStatus {
  if (!captured) return "unpaid";
  if (refundedMinor <= 0) return "paid";
  return refundedMinor >= paidMinor ? "refunded" : "partially_refunded";
}

/** The statuses the parent is derived from: every sub-order but the shells an override emptied. */
export function partsOfParent(
  subs: readonly { status: string; cancellationReason: string | null }[],
): SubOrderStatus[] {
  return subs
    .filter((s) => !(s.status === "cancelled" && s.cancellationReason === REASSIGNED))
    .map((s) => s.status as SubOrderStatus);
}
