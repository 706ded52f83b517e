import { describe, expect, it } from "vitest";
import { stripePayouts } from "../../src/gateways/stripe-payouts";
import { deliverConnect, onboardAccount, stripeSettings } from "../stripe-fake/control";
import { ADMIN, api, uid } from "../support/api";
import { newVendorWithToken } from "../support/catalog";

const readiness = async (vendorId: string) =>
  (await api("GET", `/v1/vendors/${vendorId}/payout-account`, { token: ADMIN })).body;

/** A vendor whose Connect account finished onboarding and was reported ready. */
async function readyVendor() {
  const v = await newVendorWithToken();
  const setUp = await api("POST", `/v1/vendors/${v.vendorId}/payout-account`, { token: v.token });
  expect(setUp.status, JSON.stringify(setUp.body)).toBe(200);
  const accountId = setUp.body.status.accountId as string;
  expect((await deliverConnect((await onboardAccount(accountId)).event)).status).toBe(200);
  expect((await readiness(v.vendorId)).ready).toBe(true);
  return { ...v, accountId };
}

/** A Connect account at the provider that no vendor holds yet. */
async function freshAccount() {
  const created = await stripePayouts(stripeSettings()).accounts.create({
    vendorId: uid("ven_"),
    country: "IN",
    idempotencyKey: uid("acct-"),
  });
  if (!created.ok) throw new Error(created.message);
  return created.value.accountId;
}

describe("a vendor's payout account changed by an admin", () => {
  it("does not inherit the old account's readiness: it waits for the provider's word on the new one", async () => {
    const v = await readyVendor();
    const replacement = await freshAccount();

    // Kept as it was when the same account is sent again.
    const same = await api("PATCH", `/v1/vendors/${v.vendorId}`, {
      token: ADMIN,
      body: { payoutAccountId: v.accountId },
    });
    expect(same.status).toBe(200);
    expect(await readiness(v.vendorId)).toMatchObject({ accountId: v.accountId, ready: true });

    const moved = await api("PATCH", `/v1/vendors/${v.vendorId}`, {
      token: ADMIN,
      body: { payoutAccountId: replacement },
    });
    expect(moved.status).toBe(200);
    expect(await readiness(v.vendorId)).toMatchObject({
      accountId: replacement,
      ready: false,
      payoutsEnabled: false,
      detailsSubmitted: false,
      disabledReason: null,
      requirementsDue: [],
      updatedAt: null,
    });

    // The provider's report on the new account makes it ready.
    expect((await deliverConnect((await onboardAccount(replacement)).event)).status).toBe(200);
    expect(await readiness(v.vendorId)).toMatchObject({ accountId: replacement, ready: true });

    // Unlinked, nothing of the last account's report is left behind.
    await api("PATCH", `/v1/vendors/${v.vendorId}`, { token: ADMIN, body: { payoutAccountId: null } });
    expect(await readiness(v.vendorId)).toMatchObject({ accountId: null, ready: false, payoutsEnabled: false });
  });
});
