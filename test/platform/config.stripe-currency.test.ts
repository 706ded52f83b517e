import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { config, STRIPE_UNFIT_CURRENCIES } from "../../src/platform/config";

const stripeKeys = { STRIPE_SECRET_KEY: "sk_test_config", STRIPE_WEBHOOK_SECRET: "whsec_config" };

describe("the marketplace currency with Stripe", () => {
  it("refuses one whose ISO minor units Stripe does not take as they are, loudly, at the first request", () => {
    for (const currency of STRIPE_UNFIT_CURRENCIES) {
      expect(() => config({ ...env, ...stripeKeys, MARKETPLACE_CURRENCY: currency } as unknown as Env)).toThrow(
        `MARKETPLACE_CURRENCY ${currency} cannot be charged through Stripe`,
      );
    }
  });

  it("takes them without Stripe, and takes Stripe's own zero-decimal and two-decimal currencies", () => {
    expect(config({ ...env, MARKETPLACE_CURRENCY: "ISK" } as unknown as Env).currency).toBe("ISK");
    for (const currency of ["INR", "JPY", "USD", "UGX"]) {
      expect(config({ ...env, ...stripeKeys, MARKETPLACE_CURRENCY: currency } as unknown as Env).stripe).toBeDefined();
    }
  });
});
