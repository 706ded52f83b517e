/**
 * What the storefront keeps in this browser for its shopper, besides the sign-in: the cart, the
 * address typed at checkout, the checkout's idempotency key and the last order placed (with its
 * payment's client secret). Each name is here so that sign-out forgets every one of them.
 */
export const CART_KEY = "oms.cart";
export const PRODUCT_CART_KEY = "oms.cart.products";
export const SHIP_KEY = "oms.shipTo";
export const SUBMISSION_KEY = "oms.checkout.submission";
export const LAST_ORDER_KEY = "oms.lastOrder";

const SHOPPER_KEYS = [CART_KEY, PRODUCT_CART_KEY, SHIP_KEY, SUBMISSION_KEY, LAST_ORDER_KEY];

/** On sign-out: the next person at a shared browser finds no name, address, cart or payment of the last. */
export function forgetShopper() {
  try {
    for (const key of SHOPPER_KEYS) localStorage.removeItem(key);
  } catch {
    // Storage is disabled: the page held them, and the storefront drops its state on sign-out.
  }
}
