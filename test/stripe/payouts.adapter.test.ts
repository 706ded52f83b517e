import { describe, expect, it } from "vitest";
import { stripeProvider } from "../../src/gateways/stripe";
import { stripePayouts } from "../../src/gateways/stripe-payouts";
import {
  type FakeRequest,
  fakeRequests,
  onboardAccount,
  payOutAccount,
  settleIntent,
  stripeSettings,
} from "../stripe-fake/control";
import { uid } from "../support/api";

const inr = (amountMinor: number) => ({ amountMinor, currency: "INR" });
const payouts = () => stripePayouts(stripeSettings());

function ok<T>(r: { ok: true; value: T } | { ok: false; code: string; message: string }): T {
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  return r.value;
}

async function newAccount(vendorId = uid("ven")) {
  const key = `payout-account:${vendorId}`;
  const account = ok(
    await payouts().accounts.create({ vendorId, country: "IN", email: "v@example.test", idempotencyKey: key }),
  );
  return { vendorId, key, account };
}

/** A paid PaymentIntent in the fake; its latest_charge is the source of the order's transfers. */
async function paidCharge(amountMinor: number) {
  const orderId = uid("ord");
  const pi = ok(
    await stripeProvider(stripeSettings()).create({
      orderId,
      customerId: uid("cus"),
      amount: inr(amountMinor),
      idempotencyKey: uid("key"),
    }),
  );
  const settled = await settleIntent(pi.id, "succeeded");
  return { orderId, chargeId: (settled.paymentIntent as unknown as { latest_charge: string }).latest_charge };
}

/** The last request to `path` that `mine` knows as this test's: the fake serves the project's files at once. */
async function lastRequest(path: string, mine: (r: FakeRequest) => boolean) {
  return (await fakeRequests(path)).filter(mine).at(-1)!;
}

describe("payout accounts through the official SDK against the fake", () => {
  it("creates an Express account in the platform's country that can receive transfers, once per key", async () => {
    const { vendorId, key, account } = await newAccount();
    expect(account.accountId).toMatch(/^acct_/);
    expect(account).toMatchObject({
      payoutsEnabled: false,
      detailsSubmitted: false,
      disabledReason: "requirements.past_due",
    });
    expect(account.requirementsDue).toContain("external_account");
    const sent = await lastRequest("/v1/accounts", (r) => r.idempotencyKey === key);
    expect(sent).toMatchObject({
      method: "POST",
      idempotencyKey: key,
      params: {
        type: "express",
        country: "IN",
        email: "v@example.test",
        capabilities: { transfers: { requested: "true" } },
        metadata: { vendorId },
      },
    });
    const again = ok(
      await payouts().accounts.create({ vendorId, country: "IN", email: "v@example.test", idempotencyKey: key }),
    );
    expect(again.accountId).toBe(account.accountId);
  });

  it("makes an onboarding link with the vendor app's return and refresh URLs", async () => {
    const { account } = await newAccount();
    const link = ok(
      await payouts().accounts.onboardingLink({
        accountId: account.accountId,
        returnUrl: "https://oms.test/vendor/payouts?return=1",
        refreshUrl: "https://oms.test/vendor/payouts?refresh=1",
      }),
    );
    expect(link.url).toMatch(/^https:\/\/connect\.stripe\.com\//);
    expect(link.expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect((await lastRequest("/v1/account_links", (r) => r.params.account === account.accountId)).params).toEqual({
      account: account.accountId,
      type: "account_onboarding",
      return_url: "https://oms.test/vendor/payouts?return=1",
      refresh_url: "https://oms.test/vendor/payouts?refresh=1",
    });
  });

  it("reads readiness: not ready before onboarding, ready after; an unknown account is NOT_FOUND", async () => {
    const { account } = await newAccount();
    expect(ok(await payouts().accounts.retrieve(account.accountId)).payoutsEnabled).toBe(false);
    await onboardAccount(account.accountId);
    expect(ok(await payouts().accounts.retrieve(account.accountId))).toEqual({
      accountId: account.accountId,
      payoutsEnabled: true,
      detailsSubmitted: true,
      disabledReason: null,
      requirementsDue: [],
    });
    expect(await payouts().accounts.retrieve("acct_nope")).toMatchObject({ ok: false, code: "NOT_FOUND" });
  });
});

describe("transfers and reversals through the official SDK against the fake", () => {
  it("transfers a sub-order's net from the order's charge, with its group, metadata and key, once", async () => {
    const { vendorId, account } = await newAccount();
    const { orderId, chargeId } = await paidCharge(50_000);
    const subOrderId = uid("so");
    const input = {
      amount: inr(41_250),
      destination: account.accountId,
      transferGroup: orderId,
      sourceTransaction: chargeId,
      metadata: { subOrderId, orderId, vendorId },
      idempotencyKey: `payout:${subOrderId}`,
    };
    const t = ok(await payouts().transfers.create(input));
    expect(t).toMatchObject({
      amount: inr(41_250),
      amountReversedMinor: 0,
      destination: account.accountId,
      transferGroup: orderId,
      sourceTransaction: chargeId,
      metadata: { subOrderId, orderId, vendorId },
    });
    expect(await lastRequest("/v1/transfers", (r) => r.idempotencyKey === `payout:${subOrderId}`)).toMatchObject({
      method: "POST",
      idempotencyKey: `payout:${subOrderId}`,
      params: {
        amount: "41250",
        currency: "inr",
        destination: account.accountId,
        transfer_group: orderId,
        source_transaction: chargeId,
        metadata: { subOrderId, orderId, vendorId },
      },
    });

    // A retry with the key answers the same transfer; the same key for another amount is refused.
    expect(ok(await payouts().transfers.create(input)).id).toBe(t.id);
    const reused = await payouts().transfers.create({ ...input, amount: inr(100) });
    expect(reused).toMatchObject({ ok: false, code: "PROVIDER_ERROR" });
    expect(ok(await payouts().transfers.list({ transferGroup: orderId, destination: account.accountId }))).toEqual([t]);
  });

  it("refuses a transfer beyond what is left of the source charge as INSUFFICIENT_BALANCE", async () => {
    const { vendorId, account } = await newAccount();
    const { orderId, chargeId } = await paidCharge(1_000);
    const base = { destination: account.accountId, transferGroup: orderId, sourceTransaction: chargeId };
    const meta = (subOrderId: string) => ({ subOrderId, orderId, vendorId });
    ok(
      await payouts().transfers.create({ ...base, amount: inr(700), metadata: meta("so_a"), idempotencyKey: uid("k") }),
    );
    const short = await payouts().transfers.create({
      ...base,
      amount: inr(301),
      metadata: meta("so_b"),
      idempotencyKey: uid("k"),
    });
    expect(short).toMatchObject({ ok: false, code: "INSUFFICIENT_BALANCE" });
  });

  it("a transfer to an account Stripe no longer has is REFUSED: it made nothing, unlike an unanswered request", async () => {
    const { orderId, chargeId } = await paidCharge(5_000);
    const refused = await payouts().transfers.create({
      amount: inr(4_000),
      destination: "acct_closed",
      transferGroup: orderId,
      sourceTransaction: chargeId,
      metadata: { subOrderId: uid("so"), orderId, vendorId: uid("ven") },
      idempotencyKey: uid("k"),
    });
    expect(refused).toMatchObject({ ok: false, code: "REFUSED" });
    expect(refused.ok ? "" : refused.message).toContain("No such account");
  });

  it("lists every transfer of a group and destination across pages, with their metadata", async () => {
    const { vendorId, account } = await newAccount();
    const other = await newAccount();
    const { orderId, chargeId } = await paidCharge(1_000);
    const made: string[] = [];
    for (let i = 0; i < 101; i++) {
      const t = await payouts().transfers.create({
        amount: inr(1),
        destination: account.accountId,
        transferGroup: orderId,
        sourceTransaction: chargeId,
        metadata: { subOrderId: `so_${i}`, orderId, vendorId },
        idempotencyKey: uid("k"),
      });
      made.push(ok(t).id);
    }
    ok(
      await payouts().transfers.create({
        amount: inr(5),
        destination: other.account.accountId,
        transferGroup: orderId,
        sourceTransaction: chargeId,
        metadata: { subOrderId: "so_other", orderId, vendorId: other.vendorId },
        idempotencyKey: uid("k"),
      }),
    );
    const before = (await fakeRequests("/v1/transfers")).length;
    const listed = ok(await payouts().transfers.list({ transferGroup: orderId, destination: account.accountId }));
    expect(listed.map((t) => t.id).sort()).toEqual([...made].sort());
    expect(new Set(listed.map((t) => t.metadata?.subOrderId)).size).toBe(101);
    // The fake serves every test file of the project at once: this group's pages only.
    const pages = (await fakeRequests("/v1/transfers"))
      .slice(before)
      .filter((r) => r.method === "GET" && r.params?.transfer_group === orderId);
    expect(pages).toHaveLength(2);
    expect(pages[0]!.params).toEqual({ limit: "100", transfer_group: orderId, destination: account.accountId });
    expect(pages[1]!.params).toMatchObject({ starting_after: listed[99]!.id });
  });

  it("reverses part of a transfer once per key; more than is left is NOT_REVERSIBLE", async () => {
    const { vendorId, account } = await newAccount();
    const { orderId, chargeId } = await paidCharge(10_000);
    const t = ok(
      await payouts().transfers.create({
        amount: inr(8_000),
        destination: account.accountId,
        transferGroup: orderId,
        sourceTransaction: chargeId,
        metadata: { subOrderId: uid("so"), orderId, vendorId },
        idempotencyKey: uid("k"),
      }),
    );
    const key = `reversal:${uid("re")}`;
    const r = ok(await payouts().reversals.create({ transferId: t.id, amount: inr(2_500), idempotencyKey: key }));
    expect(r).toMatchObject({ transferId: t.id, amount: inr(2_500) });
    expect(r.id).toMatch(/^trr_/);
    expect(await lastRequest(`/v1/transfers/${t.id}/reversals`, (r) => r.idempotencyKey === key)).toMatchObject({
      method: "POST",
      idempotencyKey: key,
      params: { amount: "2500" },
    });
    expect(ok(await payouts().reversals.create({ transferId: t.id, amount: inr(2_500), idempotencyKey: key })).id).toBe(
      r.id,
    );
    const listed = ok(await payouts().transfers.list({ transferGroup: orderId }));
    expect(listed[0]!.amountReversedMinor).toBe(2_500);

    const tooMuch = await payouts().reversals.create({
      transferId: t.id,
      amount: inr(5_501),
      idempotencyKey: uid("k"),
    });
    expect(tooMuch).toMatchObject({ ok: false, code: "NOT_REVERSIBLE" });
  });

  it("returns a reversal the connected account's balance cannot cover as INSUFFICIENT_BALANCE, not a throw", async () => {
    const { vendorId, account } = await newAccount();
    const { orderId, chargeId } = await paidCharge(10_000);
    const t = ok(
      await payouts().transfers.create({
        amount: inr(6_000),
        destination: account.accountId,
        transferGroup: orderId,
        sourceTransaction: chargeId,
        metadata: { subOrderId: uid("so"), orderId, vendorId },
        idempotencyKey: uid("k"),
      }),
    );
    expect(ok(await payouts().balances.retrieve(account.accountId)).available).toEqual([inr(6_000)]);
    expect(await lastRequest("/v1/balance", (r) => r.stripeAccount === account.accountId)).toMatchObject({
      method: "GET",
      stripeAccount: account.accountId,
    });

    await payOutAccount(account.accountId);
    expect(ok(await payouts().balances.retrieve(account.accountId)).available).toEqual([inr(0)]);
    const refused = await payouts().reversals.create({
      transferId: t.id,
      amount: inr(1_000),
      idempotencyKey: uid("k"),
    });
    expect(refused).toMatchObject({ ok: false, code: "INSUFFICIENT_BALANCE" });
    expect(ok(await payouts().transfers.list({ transferGroup: orderId }))[0]!.amountReversedMinor).toBe(0);
  });
});

describe("provider reports through the official SDK against the fake", () => {
  it("gives each charge of a period with its processing fee", async () => {
    const from = new Date(Date.now() - 1_000);
    const { chargeId } = await paidCharge(20_000);
    const before = new Date(Date.now() + 2_000);
    const already = (await fakeRequests("/v1/balance_transactions")).length;
    const txns = ok(await payouts().reports.balanceTransactions({ from, before }));
    const charge = txns.find((t) => t.sourceId === chargeId);
    expect(charge).toMatchObject({ type: "charge", amount: inr(20_000), fee: inr(700), net: inr(19_300) });
    const sent = (await fakeRequests("/v1/balance_transactions"))[already]!;
    expect(sent.params).toEqual({
      limit: "100",
      created: { gte: String(Math.floor(from.getTime() / 1000)), lt: String(Math.floor(before.getTime() / 1000)) },
    });
  });
});
