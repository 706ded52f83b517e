import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { stripeProvider } from "../../src/gateways/stripe";
import { stripePayouts } from "../../src/gateways/stripe-payouts";
import {
  deliver,
  deliverConnect,
  eventOf,
  fakeRequests,
  onboardAccount,
  settleIntent,
  sign,
  stripeSettings,
} from "../stripe-fake/control";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { newVendorWithToken } from "../support/catalog";
import { payoutReadiness, setUpPayoutAccount } from "../support/payout-accounts";

async function payoutEventRows(eventId: string) {
  return (await env.DB.prepare("select * from payout_events where id = ?").bind(eventId).all()).results;
}

describe("vendor payout accounts at Stripe Connect", () => {
  it("creates one Express account for the vendor and hands out an onboarding link; the vendor sees why it is not ready", async () => {
    const { vendorId, token } = await newVendorWithToken({ contactEmail: "payouts@vendor.test" });
    const first = await setUpPayoutAccount(vendorId, token);
    expect(first.onboardingUrl).toMatch(/^https:\/\/connect\.stripe\.com\//);
    expect(first.status).toMatchObject({
      vendorId,
      provider: "stripe",
      ready: false,
      payoutsEnabled: false,
      detailsSubmitted: false,
      disabledReason: "requirements.past_due",
    });
    const accountId = first.status.accountId as string;
    expect(accountId).toMatch(/^acct_/);
    const created = (await fakeRequests("/v1/accounts")).filter(
      (q) => q.idempotencyKey === `payout-account:${vendorId}`,
    );
    expect(created).toHaveLength(1);
    expect(created[0]!.params).toMatchObject({
      type: "express",
      country: "IN",
      email: "payouts@vendor.test",
      capabilities: { transfers: { requested: "true" } },
      metadata: { vendorId },
    });
    // The fake serves the project's files at once: this account's link.
    const link = (await fakeRequests("/v1/account_links")).filter((q) => q.params.account === accountId).at(-1)!;
    expect(link.params).toEqual({
      account: accountId,
      type: "account_onboarding",
      return_url: "https://oms.test/vendor/payouts?onboarding=done",
      refresh_url: "https://oms.test/vendor/payouts?onboarding=expired",
    });

    // A second set-up keeps the account: only a new link.
    const again = await setUpPayoutAccount(vendorId, token);
    expect(again.status.accountId).toBe(accountId);
    expect(
      (await fakeRequests("/v1/accounts")).filter(
        (q) =>
          q.method === "POST" &&
          q.params.metadata &&
          (q.params.metadata as { vendorId?: string }).vendorId === vendorId,
      ),
    ).toHaveLength(1);

    const status = await payoutReadiness(vendorId, token);
    expect(status.ready).toBe(false);
    expect(status.notReadyBecause).toEqual([
      "Onboarding at the payout provider is not finished.",
      "The payout provider has not enabled payouts (requirements.past_due).",
      expect.stringMatching(/^The payout provider still needs: .*external_account/),
    ]);
  });

  it("a vendor without an account is told to set one up", async () => {
    const { vendorId, token } = await newVendorWithToken();
    expect(await payoutReadiness(vendorId, token)).toMatchObject({
      accountId: null,
      ready: false,
      notReadyBecause: ["No payout account yet: set up payouts to be paid for delivered orders."],
    });
  });

  it("account.updated on the Connect endpoint makes the vendor ready; a replay and an older event change nothing", async () => {
    const { vendorId, token } = await newVendorWithToken();
    const accountId = (await setUpPayoutAccount(vendorId, token)).status.accountId as string;
    const { event } = await onboardAccount(accountId);
    expect((event as { account?: string }).account).toBe(accountId);

    const r = await deliverConnect(event);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ received: true });
    const ready = await payoutReadiness(vendorId, token);
    expect(ready).toMatchObject({ ready: true, payoutsEnabled: true, detailsSubmitted: true, notReadyBecause: [] });

    // The same event again changes nothing and is recorded once.
    expect((await deliverConnect(event)).status).toBe(200);
    expect(await payoutEventRows(event.id)).toHaveLength(1);
    expect(await payoutReadiness(vendorId, token)).toEqual(ready);

    // An older report (not ready) delivered late does not undo the newer one.
    const stale = eventOf(
      "account.updated",
      {
        id: accountId,
        object: "account",
        payouts_enabled: false,
        details_submitted: false,
        requirements: { currently_due: ["external_account"], past_due: [], disabled_reason: "requirements.past_due" },
      } as { id: string },
      accountId,
    );
    stale.created = event.created - 60;
    expect((await deliverConnect(stale)).status).toBe(200);
    expect(await payoutReadiness(vendorId, token)).toMatchObject({ ready: true });
  });

  it("a report that came while no vendor held the account is the readiness of the vendor an admin links to it", async () => {
    const first = await newVendorWithToken();
    const accountId = (await setUpPayoutAccount(first.vendorId, first.token)).status.accountId as string;
    const unlinked = await api("PATCH", `/v1/vendors/${first.vendorId}`, {
      token: ADMIN,
      body: { payoutAccountId: null },
    });
    expect(unlinked.status).toBe(200);
    const { event } = await onboardAccount(accountId);
    expect((await deliverConnect(event)).status).toBe(200);
    expect(await payoutEventRows(event.id)).toHaveLength(1);

    const { vendorId, token } = await newVendorWithToken();
    expect(await payoutReadiness(vendorId, token)).toMatchObject({ accountId: null, ready: false });
    const linked = await api("PATCH", `/v1/vendors/${vendorId}`, {
      token: ADMIN,
      body: { payoutAccountId: accountId },
    });
    expect(linked.status, JSON.stringify(linked.body)).toBe(200);
    const ready = {
      accountId,
      ready: true,
      payoutsEnabled: true,
      detailsSubmitted: true,
      notReadyBecause: [],
      updatedAt: new Date(event.created * 1000).toISOString().replace(".000Z", "Z"),
    };
    expect(await payoutReadiness(vendorId, token)).toMatchObject(ready);

    // A vendor made with the account (once the first lets it go) starts the same way.
    const released = await api("PATCH", `/v1/vendors/${vendorId}`, { token: ADMIN, body: { payoutAccountId: null } });
    expect(released.status).toBe(200);
    const made = await api("POST", "/v1/vendors", {
      token: ADMIN,
      body: { name: uid("Linked at birth "), commissionBps: 1000, hourlyCapacity: 50, payoutAccountId: accountId },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const own = await tokenFor("vendor", { vendorId: made.body.id });
    expect(await payoutReadiness(made.body.id, own)).toMatchObject(ready);
  });

  it("refuses a Connect event signed with the platform's secret, and one with no signature; nothing changes", async () => {
    const { vendorId, token } = await newVendorWithToken();
    const accountId = (await setUpPayoutAccount(vendorId, token)).status.accountId as string;
    const { event } = await onboardAccount(accountId);
    const payload = JSON.stringify(event);
    const wrong = await deliverConnect(event, await sign(payload, stripeSettings().webhookSecret));
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ code: "BAD_SIGNATURE" });
    expect((await deliverConnect(event, null)).status).toBe(400);
    expect(await payoutEventRows(event.id)).toHaveLength(0);
    expect((await payoutReadiness(vendorId, token)).ready).toBe(false);
  });

  it("records transfer events once, from either endpoint, with the sub-order and amounts", async () => {
    const { vendorId, token } = await newVendorWithToken();
    const accountId = (await setUpPayoutAccount(vendorId, token)).status.accountId as string;
    const orderId = uid("ord");
    const pi = await stripeProvider(stripeSettings()).create({
      orderId,
      customerId: uid("cus"),
      amount: { amountMinor: 9_000, currency: "INR" },
      idempotencyKey: uid("k"),
    });
    if (!pi.ok) throw new Error(pi.message);
    const settled = await settleIntent(pi.value.id, "succeeded");
    const chargeId = (settled.paymentIntent as unknown as { latest_charge: string }).latest_charge;
    const subOrderId = uid("so");
    const payouts = stripePayouts(stripeSettings());
    const t = await payouts.transfers.create({
      amount: { amountMinor: 8_000, currency: "INR" },
      destination: accountId,
      transferGroup: orderId,
      sourceTransaction: chargeId,
      metadata: { subOrderId, orderId, vendorId },
      idempotencyKey: `payout:${subOrderId}`,
    });
    if (!t.ok) throw new Error(t.message);
    const raw = await (
      await fetch(`${stripeSettings().apiBase}/v1/transfers/${t.value.id}`, {
        headers: { authorization: `Bearer ${stripeSettings().secretKey}` },
      })
    ).json();

    const created = eventOf("transfer.created", raw as { id: string });
    expect((await deliver(created)).status).toBe(200);
    expect((await deliver(created)).status).toBe(200);
    expect(await payoutEventRows(created.id)).toEqual([
      expect.objectContaining({
        type: "transfer.created",
        transfer_id: t.value.id,
        account_id: accountId,
        sub_order_id: subOrderId,
        amount_minor: 8_000,
        amount_reversed_minor: 0,
        currency: "INR",
      }),
    ]);

    const reversed = eventOf("transfer.reversed", { ...(raw as { id: string }), amount_reversed: 3_000 } as {
      id: string;
    });
    expect((await deliverConnect(reversed)).status).toBe(200);
    expect(await payoutEventRows(reversed.id)).toEqual([
      expect.objectContaining({ type: "transfer.reversed", amount_reversed_minor: 3_000 }),
    ]);
  });
});

describe("payout account access", () => {
  it("another vendor gets 404, a customer 403, ops may read but not set up", async () => {
    const { vendorId } = await newVendorWithToken();
    const other = await newVendorWithToken();
    const customer = await newCustomer();
    const ops = await tokenFor("ops");
    for (const method of ["GET", "POST"]) {
      const r = await api(method, `/v1/vendors/${vendorId}/payout-account`, { token: other.token });
      expect(r.status).toBe(404);
      expect((await api(method, `/v1/vendors/${vendorId}/payout-account`, { token: customer.token })).status).toBe(403);
    }
    expect((await api("GET", `/v1/vendors/${vendorId}/payout-account`, { token: ops })).status).toBe(200);
    expect((await api("POST", `/v1/vendors/${vendorId}/payout-account`, { token: ops })).status).toBe(403);
    expect((await api("GET", `/v1/vendors/${vendorId}/payout-account`, { token: ADMIN })).status).toBe(200);
    expect((await api("GET", "/v1/vendors/ven_nope/payout-account", { token: ADMIN })).status).toBe(404);
  });
});
