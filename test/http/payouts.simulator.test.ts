import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { simulateBankPayout, simulatedPayouts } from "../../src/gateways/simulated-payouts";
import { ADMIN, api, newCustomer, uid } from "../support/api";
import { newVendorWithToken } from "../support/catalog";
import { checkout, pay, stockedSku } from "../support/marketplace";

const inr = (amountMinor: number) => ({ amountMinor, currency: "INR" });

function ok<T>(r: { ok: true; value: T } | { ok: false; code: string; message: string }): T {
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  return r.value;
}

/** A vendor whose simulated payout account is set up through the API. */
async function vendorWithAccount() {
  const { vendorId, token } = await newVendorWithToken();
  const r = await api("POST", `/v1/vendors/${vendorId}/payout-account`, { token });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { vendorId, token, accountId: r.body.status.accountId as string, setup: r.body };
}

/** A paid simulated order: its payment keeps a simulated charge id, the source of its transfers. */
async function paidOrder(priceMinor: number) {
  const sku = await stockedSku({ warehouses: [{ at: { lat: 12.97, lng: 77.59 }, onHand: 5 }], priceMinor });
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: sku.skuId, qty: 1 }]);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const paid = await pay(shopper.token, placed.body.payment.id);
  expect(paid.status).toBe(200);
  const row = await env.DB.prepare("select charge_id, amount_minor from payments where id = ?")
    .bind(placed.body.payment.id)
    .first<{ charge_id: string; amount_minor: number }>();
  return { orderId: placed.body.order.id as string, chargeId: row!.charge_id, amountMinor: row!.amount_minor };
}

describe("the payout simulator (development, no Stripe keys)", () => {
  it("sets up an account that is ready at once; the onboarding link returns straight to the vendor app", async () => {
    const { vendorId, token, accountId, setup } = await vendorWithAccount();
    expect(accountId).toMatch(/^acct_sim_/);
    expect(setup.onboardingUrl).toBe("https://oms.test/vendor/payouts?onboarding=done");
    const status = await api("GET", `/v1/vendors/${vendorId}/payout-account`, { token });
    expect(status.body).toMatchObject({ provider: "simulated", accountId, ready: true, notReadyBecause: [] });
    // Set up again: the same account.
    const again = await api("POST", `/v1/vendors/${vendorId}/payout-account`, { token });
    expect(again.body.status.accountId).toBe(accountId);
  });

  it("keeps a simulated charge id when a simulated payment succeeds", async () => {
    const { chargeId } = await paidOrder(20_000);
    expect(chargeId).toMatch(/^ch_sim_/);
  });

  it("transfers from the order's charge once per key, bounded by the charge, and lists them by group and destination", async () => {
    const { vendorId, accountId } = await vendorWithAccount();
    const { orderId, chargeId, amountMinor } = await paidOrder(30_000);
    const payouts = simulatedPayouts(env);
    const subOrderId = uid("so");
    const input = {
      amount: inr(amountMinor - 1_000),
      destination: accountId,
      transferGroup: orderId,
      sourceTransaction: chargeId,
      metadata: { subOrderId, orderId, vendorId },
      idempotencyKey: `payout:${subOrderId}`,
    };
    const t = ok(await payouts.transfers.create(input));
    expect(t).toMatchObject({
      amount: input.amount,
      destination: accountId,
      transferGroup: orderId,
      sourceTransaction: chargeId,
    });
    expect(ok(await payouts.transfers.create(input))).toEqual(t);
    expect(await payouts.transfers.create({ ...input, amount: inr(5) })).toMatchObject({
      ok: false,
      code: "PROVIDER_ERROR",
    });

    const over = await payouts.transfers.create({
      ...input,
      amount: inr(1_001),
      metadata: { ...input.metadata, subOrderId: "so_x" },
      idempotencyKey: uid("k"),
    });
    expect(over).toMatchObject({ ok: false, code: "INSUFFICIENT_BALANCE" });

    expect(ok(await payouts.transfers.list({ transferGroup: orderId, destination: accountId }))).toEqual([t]);
    expect(ok(await payouts.transfers.list({ transferGroup: orderId, destination: "acct_sim_other" }))).toEqual([]);
  });

  it("reverses within the transfer and the account's balance; once the balance went to the bank, the refusal is a value", async () => {
    const { vendorId, accountId } = await vendorWithAccount();
    const { orderId, chargeId } = await paidOrder(40_000);
    const payouts = simulatedPayouts(env);
    const t = ok(
      await payouts.transfers.create({
        amount: inr(10_000),
        destination: accountId,
        transferGroup: orderId,
        sourceTransaction: chargeId,
        metadata: { subOrderId: uid("so"), orderId, vendorId },
        idempotencyKey: uid("k"),
      }),
    );
    const key = uid("rev");
    const r = ok(await payouts.reversals.create({ transferId: t.id, amount: inr(4_000), idempotencyKey: key }));
    expect(r).toMatchObject({ transferId: t.id, amount: inr(4_000) });
    expect(ok(await payouts.reversals.create({ transferId: t.id, amount: inr(4_000), idempotencyKey: key })).id).toBe(
      r.id,
    );
    expect(ok(await payouts.balances.retrieve(accountId)).available).toEqual([inr(6_000)]);
    expect(
      await payouts.reversals.create({ transferId: t.id, amount: inr(6_001), idempotencyKey: uid("k") }),
    ).toMatchObject({
      ok: false,
      code: "NOT_REVERSIBLE",
    });

    expect(await simulateBankPayout(env, accountId)).toBe(6_000);
    expect(ok(await payouts.balances.retrieve(accountId)).available).toEqual([inr(0)]);
    const refused = await payouts.reversals.create({ transferId: t.id, amount: inr(1_000), idempotencyKey: uid("k") });
    expect(refused).toMatchObject({ ok: false, code: "INSUFFICIENT_BALANCE" });
    expect(ok(await payouts.transfers.list({ transferGroup: orderId }))[0]!.amountReversedMinor).toBe(4_000);
  });

  it("reports the period's charges (no processing fee), transfers and reversals", async () => {
    const from = new Date(Date.now() - 1_000);
    const { vendorId, accountId } = await vendorWithAccount();
    const { orderId, chargeId, amountMinor } = await paidOrder(25_000);
    const payouts = simulatedPayouts(env);
    const t = ok(
      await payouts.transfers.create({
        amount: inr(2_000),
        destination: accountId,
        transferGroup: orderId,
        sourceTransaction: chargeId,
        metadata: { subOrderId: uid("so"), orderId, vendorId },
        idempotencyKey: uid("k"),
      }),
    );
    const txns = ok(await payouts.reports.balanceTransactions({ from, before: new Date(Date.now() + 1_000) }));
    expect(txns.find((x) => x.sourceId === chargeId)).toMatchObject({
      type: "charge",
      amount: inr(amountMinor),
      fee: inr(0),
      net: inr(amountMinor),
    });
    expect(txns.find((x) => x.sourceId === t.id)).toMatchObject({ type: "transfer", amount: inr(-2_000) });
  });
});

describe("a payout account id the provider does not know", () => {
  it("answers 409 and keeps the id for an admin to correct", async () => {
    const { vendorId, token } = await newVendorWithToken();
    const patched = await api("PATCH", `/v1/vendors/${vendorId}`, {
      token: ADMIN,
      body: { payoutAccountId: "acct_typo" },
    });
    expect(patched.status).toBe(200);
    const r = await api("POST", `/v1/vendors/${vendorId}/payout-account`, { token });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: "CONFLICT" });
    expect((await api("GET", `/v1/vendors/${vendorId}/payout-account`, { token })).body).toMatchObject({
      accountId: "acct_typo",
      ready: false,
    });
  });
});
