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
