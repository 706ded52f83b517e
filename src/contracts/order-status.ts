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
 * Why a dispatched parcel that never reached the shopper was closed: it came back to its seller
 * (the carrier's return to origin), or the carrier lost it. Each is a cancel after dispatch.
 */
export const undeliveredOutcomes = ["returned_to_origin", "lost_in_transit"] as const;
export type UndeliveredOutcome = (typeof undeliveredOutcomes)[number];

/**
 * Cancel reasons only the system writes. Each changes what happens next (a reassigned shell may be
 * revived by a later move, a breach counts against the vendor, an undelivered parcel was dispatched),
 * so a person's cancel may not give one.
 */
export const systemCancelReasons: readonly string[] = [REASSIGNED, SLA_BREACH_REASON, ...undeliveredOutcomes];

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
