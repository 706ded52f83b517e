import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { payoutProvider } from "../../src/gateways/payout-provider";
import { api } from "../support/api";
import { newVendorWithToken } from "../support/catalog";

describe("production without Stripe keys: payouts", () => {
  it("never simulates: every payout call is refused, and setting up a payout account answers 503", async () => {
    const provider = payoutProvider(env);
    expect(provider.name).toBe("stripe");
    const refused = await provider.transfers.create({
      amount: { amountMinor: 100, currency: "INR" },
      destination: "acct_sim_x",
      transferGroup: "ord_x",
      sourceTransaction: null,
      metadata: { subOrderId: "so_x", orderId: "ord_x", vendorId: "ven_x" },
      idempotencyKey: "k",
    });
    expect(refused).toMatchObject({ ok: false, code: "PROVIDER_ERROR" });

    const { vendorId, token } = await newVendorWithToken();
    const r = await api("POST", `/v1/vendors/${vendorId}/payout-account`, { token });
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ code: "PAYMENTS_NOT_CONFIGURED" });
    const row = await env.DB.prepare("select payout_account_id from vendors where id = ?").bind(vendorId).first();
    expect(row).toEqual({ payout_account_id: null });
    expect((await api("POST", "/v1/webhooks/stripe-connect", { rawBody: "{}" })).status).toBe(404);
  });
});
