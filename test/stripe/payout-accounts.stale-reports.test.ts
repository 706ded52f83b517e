import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { deliverConnect, eventOf, failAccountReads, fakeRequests, onboardAccount } from "../stripe-fake/control";
import { ADMIN, api } from "../support/api";
import { newVendorWithToken } from "../support/catalog";
import { payoutReadiness, setUpPayoutAccount } from "../support/payout-accounts";

/** The account as Stripe reports it before onboarding: what an earlier `account.updated` carries. */
const notOnboarded = (accountId: string) =>
  ({
    id: accountId,
    object: "account",
    payouts_enabled: false,
    details_submitted: false,
    requirements: { currently_due: ["external_account"], past_due: [], disabled_reason: "requirements.past_due" },
  }) as { id: string };

describe("payout readiness when Stripe's reports are stale", () => {
  it("two account.updated of the same second delivered newest first leave the vendor ready", async () => {
    const { vendorId, token } = await newVendorWithToken();
    const accountId = (await setUpPayoutAccount(vendorId, token)).status.accountId as string;
    const reads = async () =>
      (await fakeRequests(`/v1/accounts/${accountId}`)).filter((q) => q.method === "GET").length;
    const readsBefore = await reads();
    const { event: enabled } = await onboardAccount(accountId);
    // Onboarding fires several events within a second; Stripe does not order their delivery.
    const earlier = eventOf("account.updated", notOnboarded(accountId), accountId);
    earlier.created = enabled.created;

    expect((await deliverConnect(enabled)).status).toBe(200);
    expect(await payoutReadiness(vendorId, token)).toMatchObject({ ready: true });
    expect((await deliverConnect(earlier)).status).toBe(200);
    expect(await payoutReadiness(vendorId, token)).toMatchObject({
      ready: true,
      payoutsEnabled: true,
      notReadyBecause: [],
    });
    // Settled by reading the account: at most once per delivery.
    expect((await reads()) - readsBefore).toBeGreaterThanOrEqual(1);
    expect((await reads()) - readsBefore).toBeLessThanOrEqual(2);

    // A vendor an admin links to the account later gets the settled report, not the tied one.
    await api("PATCH", `/v1/vendors/${vendorId}`, { token: ADMIN, body: { payoutAccountId: null } });
    const other = await newVendorWithToken();
    const linked = await api("PATCH", `/v1/vendors/${other.vendorId}`, {
      token: ADMIN,
      body: { payoutAccountId: accountId },
    });
    expect(linked.status, JSON.stringify(linked.body)).toBe(200);
    expect(await payoutReadiness(other.vendorId, other.token)).toMatchObject({ accountId, ready: true });
  });

  it("a tie whose account read fails is refused, and its redelivery settles it", async () => {
    const { vendorId, token } = await newVendorWithToken();
    const accountId = (await setUpPayoutAccount(vendorId, token)).status.accountId as string;
    const { event: enabled } = await onboardAccount(accountId);
    const earlier = eventOf("account.updated", notOnboarded(accountId), accountId);
    // Seconds after the set-up's own read, so only the two events tie.
    enabled.created += 5;
    earlier.created = enabled.created;

    // In Stripe's order: the older state first, then the newer of the same second, which ties.
    expect((await deliverConnect(earlier)).status).toBe(200);
    await failAccountReads(accountId, 1);
    const refused = await deliverConnect(enabled);
    expect(refused.status).toBe(502);
    expect(await payoutReadiness(vendorId, token)).toMatchObject({ ready: false });

    // Stripe delivers it again: not a replay, it is settled now.
    expect((await deliverConnect(enabled)).status).toBe(200);
    expect(await payoutReadiness(vendorId, token)).toMatchObject({ ready: true });
  });

  it("two account.updated of the same second delivered at once leave the vendor ready", async () => {
    const { vendorId, token } = await newVendorWithToken();
    const accountId = (await setUpPayoutAccount(vendorId, token)).status.accountId as string;
    const { event: enabled } = await onboardAccount(accountId);
    const earlier = eventOf("account.updated", notOnboarded(accountId), accountId);
    earlier.created = enabled.created;
    const delivered = await Promise.all([deliverConnect(earlier), deliverConnect(enabled)]);
    expect(delivered.map((r) => r.status)).toEqual([200, 200]);
    expect(await payoutReadiness(vendorId, token)).toMatchObject({ ready: true });
  });

  it("an account set up again after an admin unlinked it keeps its finished onboarding", async () => {
    const { vendorId, token } = await newVendorWithToken();
    const accountId = (await setUpPayoutAccount(vendorId, token)).status.accountId as string;
    const { event } = await onboardAccount(accountId);
    expect((await deliverConnect(event)).status).toBe(200);
    expect(await payoutReadiness(vendorId, token)).toMatchObject({ ready: true });

    const unlinked = await api("PATCH", `/v1/vendors/${vendorId}`, { token: ADMIN, body: { payoutAccountId: null } });
    expect(unlinked.status, JSON.stringify(unlinked.body)).toBe(200);
    // Within the day Stripe keeps the key, the create answers the account as it was first created.
    const again = await setUpPayoutAccount(vendorId, token);
    expect(again.status).toMatchObject({ accountId, ready: true, payoutsEnabled: true, detailsSubmitted: true });
    expect(await payoutReadiness(vendorId, token)).toMatchObject({ accountId, ready: true });
    const creates = (await fakeRequests("/v1/accounts")).filter(
      (q) => q.idempotencyKey === `payout-account:${vendorId}`,
    );
    expect(creates).toHaveLength(2);
  });

  it("set up again after an unlink, an account whose onboarding event never came is read as it is now", async () => {
    const { vendorId, token } = await newVendorWithToken();
    const accountId = (await setUpPayoutAccount(vendorId, token)).status.accountId as string;
    await onboardAccount(accountId);
    const unlinked = await api("PATCH", `/v1/vendors/${vendorId}`, { token: ADMIN, body: { payoutAccountId: null } });
    expect(unlinked.status, JSON.stringify(unlinked.body)).toBe(200);
    expect((await setUpPayoutAccount(vendorId, token)).status).toMatchObject({
      accountId,
      ready: true,
      notReadyBecause: [],
    });
  });

  it("an onboarding finished in the second of the set-up's read is not undone by that read", async () => {
    const { vendorId, token } = await newVendorWithToken();
    const accountId = (await setUpPayoutAccount(vendorId, token)).status.accountId as string;
    const { event } = await onboardAccount(accountId);
    // The set-up's read and the event are stamped with the same second here; the row says so.
    await env.DB.prepare("update vendors set payout_account_updated_at = ? where id = ?")
      .bind(new Date(event.created * 1000).toISOString().replace(".000Z", "Z"), vendorId)
      .run();
    expect((await deliverConnect(event)).status).toBe(200);
    expect(await payoutReadiness(vendorId, token)).toMatchObject({ ready: true });
  });
});
