import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database, runBatch } from "../../src/db/client";
import { stripeProvider } from "../../src/gateways/stripe";
import { stripePayouts } from "../../src/gateways/stripe-payouts";
import { settlePending, takeBackRefunds } from "../../src/payouts/settle";
import { newTransfer, pendingStatements } from "../../src/payouts/transfers";
import {
  deliver,
  deliverConnect,
  onboardAccount,
  payOutAccount,
  settleIntent,
  stripeSettings,
} from "../stripe-fake/control";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { BENGALURU, checkout, stockedSku } from "../support/marketplace";
import { chargeOf } from "../support/payouts";

/**
 * A refund after a payout takes the money back from the vendor's transfer through the official SDK
 * against the fake, which keeps a refused reversal under its Idempotency-Key as Stripe does. Only
 * the take-back step of the run is driven here: the whole run also reconciles the fake's transfers,
 * which other files share.
 */

const payouts = () => stripePayouts(stripeSettings());
const iso = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
const awb = () => `${Date.now()}`.slice(-9) + `${Math.floor(Math.random() * 1e4)}`.padStart(4, "0");

const step = (token: string, sub: string, name: string, body?: unknown) =>
  api("POST", `/v1/sub-orders/${sub}/${name}`, { token, ...(body === undefined ? {} : { body }) });

/** A vendor whose connected account at the fake can receive transfers. */
async function vendorWithAccount(priceMinor: number) {
  const s = await stockedSku({
    warehouses: [{ at: BENGALURU, onHand: 50 }],
    priceMinor,
    vendor: { commissionBps: 1_000 },
  });
  const made = await payouts().accounts.create({
    vendorId: s.vendorId,
    country: "IN",
    email: "v@example.test",
    idempotencyKey: uid("acct-"),
  });
  if (!made.ok) throw new Error(made.message);
  // Linked to the vendor and reported ready as the Connect webhook would: a pending transfer is
  // asked for again only to its vendor's ready account.
  const linked = await api("PATCH", `/v1/vendors/${s.vendorId}`, {
    token: ADMIN,
    body: { payoutAccountId: made.value.accountId },
  });
  expect(linked.status, JSON.stringify(linked.body)).toBe(200);
  const { event } = await onboardAccount(made.value.accountId);
  expect((await deliverConnect(event)).status).toBe(200);
  const token = await tokenFor("vendor", { vendorId: s.vendorId });
  return { ...s, accountId: made.value.accountId, token };
}

type Vendor = Awaited<ReturnType<typeof vendorWithAccount>>;

/** An order of `qty` units paid through the fake and its webhook, walked to delivered. */
async function deliveredOrder(v: Vendor, qty: number) {
  const barcode = (await api("GET", `/v1/skus/${v.skuId}`, { token: ADMIN })).body.barcode as string;
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: v.skuId, qty }]);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const { event } = await settleIntent(placed.body.payment.id, "succeeded");
  expect((await deliver(event)).status).toBe(200);
  const sub = placed.body.order.subOrders[0].id as string;
  expect((await step(v.token, sub, "confirm")).status).toBe(200);
  expect((await step(v.token, sub, "pack", { scanned: Array.from({ length: qty }, () => barcode) })).status).toBe(200);
  expect((await step(v.token, sub, "dispatch", { carrier: "delhivery", awb: awb() })).status).toBe(200);
  expect((await step(v.token, sub, "deliver")).status).toBe(200);
  const lineId = (await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN })).body.lines[0].id as string;
  return { orderId: placed.body.order.id as string, subOrderId: sub, lineId };
}

/** What the vendor is owed for a sub-order: the credit balance of its payable. */
async function owed(subOrderId: string) {
  const row = await env.DB.prepare(
    "select coalesce(sum(amount_minor), 0) as b from ledger_entries where sub_order_id = ? and account = 'vendor_payable'",
  )
    .bind(subOrderId)
    .first<{ b: number }>();
  return 0 - (row?.b ?? 0);
}

/** The sub-order's transfer as a run that died before asking the provider left it: written pending. */
async function leftPending(v: Vendor, o: { orderId: string; subOrderId: string }) {
  const db = database(env);
  const runId = uid("run");
  const at = iso();
  await env.DB.prepare(
    "insert into payout_runs (id, status, currency, period_from, period_before, lease_until, started_at) values (?, 'interrupted', 'INR', ?, ?, ?, ?)",
  )
    .bind(runId, at, at, at, at)
    .run();
  const due = await owed(o.subOrderId);
  const t = newTransfer(
    runId,
    {
      ...o,
      vendorId: v.vendorId,
      destination: v.accountId,
      sourceTransaction: await chargeOf(o.orderId),
      payableMinor: due,
      carryForwardMinor: 0,
      amountMinor: due,
      currency: "INR",
    },
    at,
  );
  await runBatch(db, pendingStatements(db, [t]));
  return t;
}

/** The sub-order's transfer, as a payout run would have made it: written pending, then made and confirmed. */
async function paidOut(v: Vendor, o: { orderId: string; subOrderId: string }) {
  const t = await leftPending(v, o);
  expect((await settlePending(database(env), payouts(), iso(), 100)).problems).toEqual([]);
  return (await env.DB.prepare("select id, provider_transfer_id, status from payout_transfers where id = ?")
    .bind(t.id)
    .first<{ id: string; provider_transfer_id: string; status: string }>())!;
}

const returnUnits = async (v: Vendor, o: { subOrderId: string; lineId: string }, qty: number) => {
  const r = await api("POST", `/v1/sub-orders/${o.subOrderId}/return`, {
    token: v.token,
    body: { lines: [{ lineId: o.lineId, qty, restockable: true }], reason: "wrong size" },
    headers: { "Idempotency-Key": uid("ret-") },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return -(await owed(o.subOrderId));
};

/** Funds the vendor's connected account from a charge of its own, so a reversal finds the balance. */
async function fund(v: Vendor, amountMinor: number) {
  const pi = await stripeProvider(stripeSettings()).create({
    orderId: uid("ord"),
    customerId: uid("cus"),
    amount: { amountMinor, currency: "INR" },
    idempotencyKey: uid("key"),
  });
  if (!pi.ok) throw new Error(pi.message);
  const settled = await settleIntent(pi.value.id, "succeeded");
  const made = await payouts().transfers.create({
    amount: { amountMinor, currency: "INR" },
    destination: v.accountId,
    transferGroup: uid("grp"),
    sourceTransaction: (settled.paymentIntent as unknown as { latest_charge: string }).latest_charge,
    metadata: { subOrderId: uid("sub"), orderId: uid("ord"), vendorId: v.vendorId },
    idempotencyKey: uid("fund-"),
  });
  if (!made.ok) throw new Error(made.message);
}

describe("taking a refund back from a transfer at Stripe", () => {
  it("a refused reversal's key never comes back for a later reversal of another amount", async () => {
    const since = iso(Date.now() - 60_000);
    const v = await vendorWithAccount(5_000);
    const o = await deliveredOrder(v, 5);
    const transfer = await paidOut(v, o);
    expect(transfer.status).toBe("paid");
    const takeBack = async () => takeBackRefunds(database(env), payouts(), since, iso(), 100);

    // The vendor's bank payout took the money: the first reversal finds the balance short and is carried.
    await payOutAccount(v.accountId);
    const first = await returnUnits(v, o, 2);
    expect(await takeBack()).toMatchObject({ problems: [], reversals: 0, carriedMinor: first });

    // The account is funded again: a smaller refund's reversal lands.
    await fund(v, 20_000);
    const second = await returnUnits(v, o, 1);
    expect(await takeBack()).toMatchObject({ problems: [], reversals: 1, reversedMinor: second });

    // A third whose amount brings the provider's reversed total to the refused reversal's amount.
    const third = await returnUnits(v, o, 1);
    expect(second + third).toBe(first);
    expect(await takeBack()).toMatchObject({ problems: [], reversals: 1, reversedMinor: third });

    const atProvider = await payouts().transfers.list({ transferGroup: o.orderId, destination: v.accountId });
    expect(atProvider.ok && atProvider.value.find((t) => t.id === transfer.provider_transfer_id)).toMatchObject({
      amountReversedMinor: second + third,
    });
    const row = await env.DB.prepare("select reversed_minor from payout_transfers where id = ?")
      .bind(transfer.id)
      .first<{ reversed_minor: number }>();
    expect(row?.reversed_minor).toBe(second + third);
    expect(await owed(o.subOrderId)).toBe(0);
  });
});

describe("a transfer a dead run left pending, never made", () => {
  it("is not made for a sub-order refunded since: it fails and the money stays with the platform", async () => {
    const v = await vendorWithAccount(5_000);
    const o = await deliveredOrder(v, 2);
    const t = await leftPending(v, o);
    // The shopper returns everything before the next run settles the pending row.
    const refunded = await returnUnits(v, o, 2);
    expect(refunded).toBeGreaterThan(0);

    expect(await settlePending(database(env), payouts(), iso(), 100)).toMatchObject({ problems: [], settled: 1 });
    const atProvider = await payouts().transfers.list({ transferGroup: o.orderId, destination: v.accountId });
    expect(atProvider.ok && atProvider.value).toEqual([]);
    const row = await env.DB.prepare("select status, failure from payout_transfers where id = ?")
      .bind(t.id)
      .first<{ status: string; failure: string }>();
    expect(row).toMatchObject({ status: "failed", failure: expect.stringContaining("no longer due") });
    // Nothing is owed to the vendor for goods the shopper was refunded.
    expect(await owed(o.subOrderId)).toBe(0);
  });

  it("is still made for a sub-order that stayed due", async () => {
    const v = await vendorWithAccount(5_000);
    const o = await deliveredOrder(v, 1);
    const t = await leftPending(v, o);
    expect(await settlePending(database(env), payouts(), iso(), 100)).toMatchObject({ problems: [], settled: 1 });
    const row = await env.DB.prepare("select status from payout_transfers where id = ?").bind(t.id).first();
    expect(row).toEqual({ status: "paid" });
  });
});
