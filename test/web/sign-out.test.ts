import { afterEach, describe, expect, it, vi } from "vitest";
import { signOut } from "../../web/src/components/SignIn";

afterEach(() => vi.unstubAllGlobals());

/** A browser's localStorage as a shopper leaves it after an order, with ops and a vendor signed in beside. */
function sharedBrowser() {
  const items = new Map<string, string>([
    ["oms.token.storefront", "oms_cust_signout_1"],
    ["oms.cart", JSON.stringify([{ sku: { skuId: "sku_signout_1" }, qty: 1 }])],
    ["oms.cart.products", JSON.stringify([{ product: { productId: "prd_signout_1" }, qty: 2 }])],
    ["oms.shipTo", JSON.stringify({ name: "Asha R", line1: "12 MG Road", city: "Pune", postalCode: "411001" })],
    ["oms.checkout.submission", JSON.stringify({ key: "idem_signout_1", signature: "{}" })],
    ["oms.lastOrder", JSON.stringify({ orderId: "ord_signout_1", payment: { clientSecret: "pi_so_secret_1" } })],
    ["oms.token.ops", "oms_ops_signout_1"],
    ["oms.token.vendor", "oms_vendor_signout_1"],
  ]);
  const storage = {
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
  };
  vi.stubGlobal("localStorage", storage);
  vi.stubGlobal("window", { confirm: () => true });
  return items;
}

describe("signing out of the storefront", () => {
  it("leaves the next person at a shared browser no name, address, cart or last order's client secret", async () => {
    const items = sharedBrowser();
    await signOut("storefront", "oms_cust_signout_1");
    expect([...items.keys()].sort()).toEqual(["oms.token.ops", "oms.token.vendor"]);
  });

  it("keeps everything when the shopper says no, and a vendor's sign-out leaves the shopper's data be", async () => {
    const items = sharedBrowser();
    vi.stubGlobal("window", { confirm: () => false });
    await signOut("storefront", "oms_cust_signout_1");
    expect(items.size).toBe(8);
    await signOut("vendor", "oms_vendor_signout_1");
    expect(items.has("oms.token.vendor")).toBe(false);
    expect(items.has("oms.shipTo")).toBe(true);
  });
});
