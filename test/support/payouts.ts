import { env } from "cloudflare:test";
import { expect } from "vitest";
import { database, runBatch } from "../../src/db/client";
import { dueSubOrders, vendorPayoutStates } from "../../src/db/payouts";
import { planPayouts } from "../../src/domain/payout-plan";
import { simulateBankPayout, simulatedPayouts } from "../../src/gateways/simulated-payouts";
import { newTransfer, pendingStatements } from "../../src/payouts/transfers";
import { ADMIN, api, newCustomer, tokenFor, uid } from "./api";
import { BENGALURU, checkout, pay, stockedSku } from "./marketplace";

const DAY_MS = 86_400_000;

/** A vendor's simulated connected account, ready as the Connect webhook would have left it. */
export async function readyPayoutAccount(vendorId: string, ready = true): Promise<string> {
  const made = await simulatedPayouts(env).accounts.create({ vendorId, country: "IN", idempotencyKey: uid("acct-") });
  if (!made.ok) throw new Error(made.message);
  await env.DB.prepare(
    "update vendors set payout_account_id = ?, payouts_enabled = ?, payout_details_submitted = ?, payout_disabled_reason = ? where id = ?",
  )
    .bind(made.value.accountId, ready ? 1 : 0, ready ? 1 : 0, ready ? null : "requirements.past_due", vendorId)
    .run();
  return made.value.accountId;
}

/** A vendor with stock, a ready payout account (unless `ready` is false) and a vendor token. */
export async function payoutVendor(opts: { priceMinor?: number; ready?: boolean; commissionBps?: number } = {}) {
  const sku = await stockedSku({
    warehouses: [{ at: BENGALURU, onHand: 500 }],
    priceMinor: opts.priceMinor ?? 10_000,
    vendor: opts.commissionBps === undefined ? {} : { commissionBps: opts.commissionBps },
  });
  const accountId = await readyPayoutAccount(sku.vendorId, opts.ready ?? true);
  const token = await tokenFor("vendor", { vendorId: sku.vendorId });
  return { ...sku, accountId, token };
}

const step = (token: string, sub: string, name: string, body?: unknown) =>
  api("POST", `/v1/sub-orders/${sub}/${name}`, { token, ...(body === undefined ? {} : { body }) });

/** A paid order of `qty` units, walked by its vendor to delivered (today, by the real clock). */
export async function deliveredOrder(vendor: { skuId: string; token: string }, qty = 1) {
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: vendor.skuId, qty }]);
  if (placed.status !== 201) throw new Error(`checkout ${placed.status} ${JSON.stringify(placed.body)}`);
  const paid = await pay(shopper.token, placed.body.payment.id);
  const sub = paid.body.subOrders[0].id as string;
  const lines = await walkToDelivered(vendor.token, sub);
  return { orderId: paid.body.id as string, subOrderId: sub, lineId: lines[0].id as string, shopper };
}

/** Walks a paid sub-order through its vendor to delivered; returns its lines. */
export async function walkToDelivered(token: string, sub: string) {
  await step(token, sub, "confirm");
  const lines = (await api("GET", `/v1/sub-orders/${sub}`, { token })).body.lines;
  const scanned = lines.flatMap((l: any) => Array.from({ length: l.qty }, () => l.barcode as string));
  await step(token, sub, "pack", { scanned });
  await step(token, sub, "dispatch", { carrier: "generic", awb: uid("AWB-").toUpperCase() });
  const delivered = await step(token, sub, "deliver");
  if (delivered.body.status !== "delivered") throw new Error(`deliver ${JSON.stringify(delivered.body)}`);
  return lines;
}

/** Runs the payout job at `daysAhead` days past now, and drains its continuation pages. */
export async function runPayoutsAt(daysAhead: number) {
  const now = new Date(Date.now() + daysAhead * DAY_MS).toISOString();
  const r = await api("POST", "/v1/admin/jobs/payouts/run", { token: ADMIN, body: { now } });
  if (r.status !== 200) throw new Error(`payouts ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function transfersOf(subOrderId: string) {
  const { results } = await env.DB.prepare(
    "select id, status, amount_minor, reversed_minor, provider_transfer_id, failure from payout_transfers where sub_order_id = ?",
  )
    .bind(subOrderId)
    .all<{ id: string; status: string; amount_minor: number; reversed_minor: number; provider_transfer_id: string }>();
  return results;
}

export async function simTransfersOf(subOrderId: string) {
  const { results } = await env.DB.prepare("select id, amount_minor from sim_transfers where sub_order_id = ?")
    .bind(subOrderId)
    .all<{ id: string; amount_minor: number }>();
  return results;
}

/** The ledger's balance of an account for a sub-order (debit positive). */
export async function balance(subOrderId: string, account: string) {
  const row = await env.DB.prepare(
    "select coalesce(sum(amount_minor), 0) as b from ledger_entries where sub_order_id = ? and account = ?",
  )
    .bind(subOrderId, account)
    .first<{ b: number }>();
  return row?.b ?? 0;
}

/** Takes back `qty` units of a delivered order's line, restocked, under a key of its own. */
export const returnUnits = (token: string, o: { subOrderId: string; lineId: string }, qty: number, reason: string) =>
  api("POST", `/v1/sub-orders/${o.subOrderId}/return`, {
    token,
    body: { lines: [{ lineId: o.lineId, qty, restockable: true }], reason },
    headers: { "Idempotency-Key": uid("ret-") },
  });

/** A vendor's carried debt across its sub-orders (debit positive). */
export async function carriedDebt(vendorId: string): Promise<number> {
  const row = await env.DB.prepare(
    "select coalesce(sum(amount_minor), 0) as n from ledger_entries where vendor_id = ? and account = 'vendor_carry_forward'",
  )
    .bind(vendorId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** What the vendor is owed for a sub-order now: the credit balance of its payable. */
export const owed = async (subOrderId: string) => 0 - (await balance(subOrderId, "vendor_payable"));

/** A payout run still running, with a lease long lapsed: one a dead invocation left. */
export async function openRun() {
  const runId = uid("run");
  const past = "2026-01-01T00:00:00Z";
  await env.DB.prepare(
    "insert into payout_runs (id, status, currency, period_from, period_before, lease_until, started_at) values (?, 'running', 'INR', ?, ?, ?, ?)",
  )
    .bind(runId, past, past, past, past)
    .run();
  return runId;
}

/** The charge a run draws an order's transfers on, as it writes them (null when the order has none). */
export async function chargeOf(orderId: string): Promise<string | null> {
  const row = await env.DB.prepare("select charge_id as c from payments where order_id = ?")
    .bind(orderId)
    .first<{ c: string | null }>();
  return row?.c ?? null;
}

/**
 * The sub-order's transfer to the vendor's account as a run whose lease lapsed left it: written
 * pending, never asked; drawn on the order's charge unless the run chose a `source` (null: the
 * platform's balance).
 */
export async function leftPending(
  vendor: { vendorId: string; accountId: string },
  o: { orderId: string; subOrderId: string },
  source?: string | null,
) {
  const db = database(env);
  const runId = await openRun();
  const due = await owed(o.subOrderId);
  const t = newTransfer(
    runId,
    {
      ...o,
      vendorId: vendor.vendorId,
      destination: vendor.accountId,
      sourceTransaction: source === undefined ? await chargeOf(o.orderId) : source,
      payableMinor: due,
      carryForwardMinor: 0,
      amountMinor: due,
      currency: "INR",
    },
    new Date().toISOString(),
  );
  await runBatch(db, pendingStatements(db, [t]));
  return t;
}

/** A vendor whose three-unit sub-order came back after its bank payout: it carries that sub-order's payable as debt. */
export async function vendorInDebt() {
  const vendor = await payoutVendor({ priceMinor: 5_000 });
  const o = await deliveredOrder(vendor, 3);
  expect((await runPayoutsAt(8)).result.status).toBe("paid");
  await simulateBankPayout(env, vendor.accountId);
  expect((await returnUnits(vendor.token, o, 3, "wrong colour")).status).toBe(200);
  expect((await runPayoutsAt(8)).result.status).toBe("paid");
  const debt = await carriedDebt(vendor.vendorId);
  expect(debt).toBeGreaterThan(0);
  return { vendor, debt };
}

/** A run's page as it reads now: the vendor's due sub-orders planned, not yet written. */
export async function pageFor(vendor: { vendorId: string }) {
  const db = database(env);
  const runId = await openRun();
  const read = await dueSubOrders(db, { deliveredBefore: new Date(Date.now() + 1_000).toISOString(), limit: 100 });
  const plan = planPayouts(
    read.due.filter((d) => d.vendorId === vendor.vendorId),
    await vendorPayoutStates(db, [vendor.vendorId]),
  );
  return { db, runId, plan };
}

/** Now, to the second, as the runs stamp what they write. */
export const nowSeconds = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
