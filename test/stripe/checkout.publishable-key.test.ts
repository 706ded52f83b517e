import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/dev/index";
import { api, newCustomer, uid } from "../support/api";
import { checkout, shipTo, stockedSku } from "../support/marketplace";

/**
 * The same Worker under other settings: config() parses each env object once, so a copy of this
 * project's env with some vars changed is a Worker configured that way, on the same storage.
 */
async function checkoutWith(vars: Record<string, string>, skuId: string) {
  const shopper = await newCustomer();
  const request = new Request("https://oms.test/v1/checkout", {
    method: "POST",
    headers: {
      authorization: `Bearer ${shopper.token}`,
      "content-type": "application/json",
      "idempotency-key": uid("ck"),
    },
    body: JSON.stringify({ lines: [{ skuId, qty: 1 }], shipTo: shipTo() }),
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, ...vars } as Env, ctx);
  await waitOnExecutionContext(ctx);
  expect(res.status).toBe(201);
  return ((await res.json()) as { payment: Record<string, unknown> }).payment;
}

describe("the storefront learns Stripe's publishable key from checkout", () => {
  it("answers it beside the client secret when Stripe is configured", async () => {
    const sku = await stockedSku({ warehouses: [{ at: { lat: 12.9716, lng: 77.5946 }, onHand: 5 }] });
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [{ skuId: sku.skuId, qty: 1 }]);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.payment).toMatchObject({ provider: "stripe", publishableKey: "pk_test_fake" });
    expect(r.body.payment.clientSecret).toMatch(new RegExp(`^${r.body.payment.id}_secret_`));
  });

  it("leaves it out without Stripe keys (the simulator) and when only the secret keys are set", async () => {
    const sku = await stockedSku({ warehouses: [{ at: { lat: 12.9716, lng: 77.5946 }, onHand: 5 }] });
    const simulated = await checkoutWith({ STRIPE_SECRET_KEY: "", STRIPE_WEBHOOK_SECRET: "" }, sku.skuId);
    expect(simulated.provider).toBe("simulated");
    expect(simulated).not.toHaveProperty("publishableKey");
    expect(simulated).not.toHaveProperty("clientSecret");

    const noKey = await checkoutWith({ STRIPE_PUBLISHABLE_KEY: "" }, sku.skuId);
    expect(noKey.provider).toBe("stripe");
    expect(noKey.clientSecret).toEqual(expect.any(String));
    expect(noKey).not.toHaveProperty("publishableKey");
  });

  it("is in the OpenAPI document's Payment schema", async () => {
    const doc = await api("GET", "/v1/openapi.json");
    expect(doc.status).toBe(200);
    expect(doc.body.components.schemas.Payment.properties.publishableKey).toMatchObject({ type: "string" });
    expect(doc.body.components.schemas.Payment.required).not.toContain("publishableKey");
  });
});
