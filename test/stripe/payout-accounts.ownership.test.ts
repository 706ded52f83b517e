import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { stripePayouts } from "../../src/gateways/stripe-payouts";
import { deliverConnect, fakeRequests, onboardAccount, stripeSettings } from "../stripe-fake/control";
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

describe("a payout account belongs to one vendor", () => {
  it("is not linked to a second vendor, created or changed", async () => {
    const a = await readyVendor();
    const b = await newVendorWithToken();
    const linked = await api("PATCH", `/v1/vendors/${b.vendorId}`, {
      token: ADMIN,
      body: { payoutAccountId: a.accountId },
    });
    expect(linked.status).toBe(409);
    expect(linked.headers.get("content-type")).toMatch(/application\/problem\+json/);
    expect(linked.body).toMatchObject({ code: "CONFLICT", errors: [{ path: "payoutAccountId" }] });
    expect((await readiness(b.vendorId)).accountId).toBeNull();

    const name = `Vendor ${uid()}`;
    const created = await api("POST", "/v1/vendors", {
      token: ADMIN,
      body: { name, commissionBps: 1000, hourlyCapacity: 50, payoutAccountId: a.accountId },
    });
    expect(created.status).toBe(409);
    expect(await env.DB.prepare("select count(*) as n from vendors where name = ?").bind(name).first()).toEqual({
      n: 0,
    });

    // The holder itself may send its own account again.
    const own = await api("PATCH", `/v1/vendors/${a.vendorId}`, {
      token: ADMIN,
      body: { payoutAccountId: a.accountId },
    });
    expect(own.status).toBe(200);
  });

  it("a vendor sharing another's account (linked before this rule) gets no onboarding link into it", async () => {
    const a = await readyVendor();
    const b = await newVendorWithToken();
    await env.DB.prepare("update vendors set payout_account_id = ? where id = ?").bind(a.accountId, b.vendorId).run();
    const linksBefore = (await fakeRequests("/v1/account_links")).filter((q) => q.params.account === a.accountId);

    const setUp = await api("POST", `/v1/vendors/${b.vendorId}/payout-account`, { token: b.token });
    expect(setUp.status).toBe(409);
    expect(setUp.body.code).toBe("CONFLICT");
    expect(JSON.stringify(setUp.body)).not.toContain(a.vendorId);
    const linksAfter = (await fakeRequests("/v1/account_links")).filter((q) => q.params.account === a.accountId);
    expect(linksAfter).toHaveLength(linksBefore.length);
  });

  it("a vendor setting up again after its account was moved to another gets a new one, not the moved one back", async () => {
    const a = await readyVendor();
    const b = await newVendorWithToken();
    // The admin moves A's account to B (same day: the provider still replays A's creation).
    expect(
      (await api("PATCH", `/v1/vendors/${a.vendorId}`, { token: ADMIN, body: { payoutAccountId: null } })).status,
    ).toBe(200);
    const moved = await api("PATCH", `/v1/vendors/${b.vendorId}`, {
      token: ADMIN,
      body: { payoutAccountId: a.accountId },
    });
    expect(moved.status).toBe(200);

    const again = await api("POST", `/v1/vendors/${a.vendorId}/payout-account`, { token: a.token });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    const fresh = again.body.status.accountId as string;
    expect(fresh).not.toBe(a.accountId);
    expect((await readiness(b.vendorId)).accountId).toBe(a.accountId);
    // Asked again, the same new account: the retry is keyed too.
    const retried = await api("POST", `/v1/vendors/${a.vendorId}/payout-account`, { token: a.token });
    expect(retried.body.status.accountId).toBe(fresh);
  });
});
