import { afterEach, describe, expect, it, vi } from "vitest";
import { returnedFromStripe, returnUrl, withoutStripeReturn } from "../../web/src/components/StripePayment";

afterEach(() => vi.unstubAllGlobals());

describe("Stripe's redirect back from the bank's page", () => {
  it("returns to the page the form is on: My orders comes back to My orders, the shop to the shop", () => {
    expect(returnUrl({ origin: "https://shop.test", pathname: "/orders" })).toBe("https://shop.test/orders");
    expect(returnUrl({ origin: "https://shop.test", pathname: "/" })).toBe("https://shop.test/");
  });

  it("leaves no client secret in the address bar, whatever payment the query names, and keeps the rest", () => {
    const back =
      "payment_intent=pi_ret_other&payment_intent_client_secret=pi_ret_other_secret_x&redirect_status=succeeded";
    expect(withoutStripeReturn(`?${back}`)).toBe("");
    expect(withoutStripeReturn(`?tab=1&${back}`)).toBe("?tab=1");
    expect(withoutStripeReturn("?payment_intent_client_secret=pi_ret_2_secret_y")).toBe("");
    expect(withoutStripeReturn("?tab=1")).toBeNull();
    expect(withoutStripeReturn("")).toBeNull();
  });

  it("still tells a form mounted after the query was stripped how its payment ended (My orders opens it on Pay)", () => {
    const location = {
      origin: "https://shop.test",
      pathname: "/orders",
      hash: "",
      search: "?payment_intent=pi_ret_1&payment_intent_client_secret=pi_ret_1_secret_z&redirect_status=failed",
    };
    vi.stubGlobal("window", { location });
    expect(returnedFromStripe("pi_ret_1")).toBe("failed");
    location.search = "";
    expect(returnedFromStripe("pi_ret_1")).toBe("failed");
    expect(returnedFromStripe("pi_ret_elsewhere")).toBeNull();
  });
});
