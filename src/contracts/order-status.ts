/** The statuses an order, a sub-order and a payment can be in, as the API names them. */
export const subOrderStatuses = [
  "pending_payment",
  "paid",
  "confirmed",
  "packed",
  "dispatched",
  "delivered",
  "cancelled",
  "returned",
] as const;
export type SubOrderStatus = (typeof subOrderStatuses)[number];

/** A sub-order in one of these can still be cancelled; once dispatched, only a return applies. */
export const beforeDispatchStatuses: readonly SubOrderStatus[] = ["pending_payment", "paid", "confirmed", "packed"];

/** Why a sub-order emptied by a manual override is closed; it is no part of the parent's story. */
export const REASSIGNED = "reassigned";

/**
 * Why a sub-order whose vendor let its dispatch deadline pass was cancelled: the SLA watcher
 * writes it, the routing re-fit counts it as a breach, the shopper's message says it was late.
 */
export const SLA_BREACH_REASON = "sla_breach_auto";

/**
 * Cancel reasons only the system writes. Each changes what happens next (a reassigned shell may be
 * revived by a later move, a breach counts against the vendor), so a person's cancel may not give one.
 */
export const systemCancelReasons: readonly string[] = [REASSIGNED, SLA_BREACH_REASON];

export const orderStatuses = [
  "pending_payment",
  "paid",
  "partially_dispatched",
  "dispatched",
  "partially_delivered",
  "delivered",
  "cancelled",
  "partially_cancelled",
] as const;
export type OrderStatus = (typeof orderStatuses)[number];

export const paymentStatuses = ["unpaid", "paid", "refunded", "partially_refunded"] as const;
export type OrderPaymentStatus = (typeof paymentStatuses)[number];
