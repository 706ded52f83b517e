/** A guest's token lapses a day after sign-up unless the guest orders: a mint-and-hoard script keeps nothing. */
export const GUEST_TOKEN_TTL_SECONDS = 24 * 3600;
/** A guest who ordered keeps its token while any order is open, and this long after the last paid one changed. */
export const GUEST_TOKEN_AFTER_ORDERS_SECONDS = 30 * 24 * 3600;
/** Parent order statuses after which nothing more happens to the order. */
export const CLOSED_ORDER_STATUSES = ["delivered", "cancelled"] as const;
