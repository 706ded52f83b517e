import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database, runBatch } from "../../src/db/client";
import { localDay } from "../../src/domain/local-day";
import { simulateBankPayout, simulatedPayouts } from "../../src/gateways/simulated-payouts";
import { continuePayouts } from "../../src/payouts/run";
import { newTransfer, pendingStatements, requestTransfer } from "../../src/payouts/transfers";
import { config } from "../../src/platform/config";
import { ADMIN, api, newCustomer, uid } from "../support/api";
import { checkout, pay } from "../support/marketplace";
import {
  balance,
  carriedDebt,
  deliveredOrder,
  openRun,
  owed,
  payoutVendor,
  returnUnits,
  runPayoutsAt,
  simTransfersOf,
  transfersOf,
  walkToDelivered,
} from "../support/payouts";

/** The vendor takes back `qty` units of the sub-order's first line, under a key of their own. */
/** The key a run asks the provider to reverse `amountMinor` of a transfer under, for its sub-order's latest refund. */
async function reversalKey(t: { id: string }, subOrderId: string, reversedBefore: number, amountMinor: number) {
  const refund = await env.DB.prepare(
    "select j.refund_id from ledger_journals j join ledger_entries e on e.journal_id = j.id where e.sub_order_id = ? and j.kind = 'refund' order by j.at desc limit 1",
  )
    .bind(subOrderId)
    .first<{ refund_id: string }>();
  return `${t.id}-reversal-${refund!.refund_id}-${reversedBefore}-${amountMinor}`;
}

async function until(done: () => Promise<boolean>) {
  for (let i = 0; i < 150 && !(await done()); i++) await new Promise((r) => setTimeout(r, 100));
  expect(await done()).toBe(true);
}

/**
 * A vendor whose sub-order's transfer netted a carried debt off (so it moved less than its payable),
 * then every unit of that sub-order came back: it owes back more than the transfer moved.
 */
async function refundBeyondNettedTransfer() {
  const vendor = await payoutVendor({ priceMinor: 5_000, commissionBps: 1_000 });
  const first = await deliveredOrder(vendor, 2);
  await runPayoutsAt(8);
  await simulateBankPayout(env, vendor.accountId);
  expect((await returnUnits(vendor.token, first, 1, "damaged")).status).toBe(200);
  await runPayoutsAt(8);
  // One unit back: its goods 5,000 less the 10% fee given back.
  const debt = 4_500;
  expect(await carriedDebt(vendor.vendorId)).toBe(debt);

  // The next sub-order's transfer moves its payable less the debt.
  const o = await deliveredOrder(vendor, 2);
  const due = await owed(o.subOrderId);
  await runPayoutsAt(8);
  const [transfer] = await transfersOf(o.subOrderId);
  expect(transfer).toMatchObject({ status: "paid", amount_minor: due - debt });
  expect(await carriedDebt(vendor.vendorId)).toBe(0);

  // Every unit comes back: the vendor owes back more than that transfer moved.
  expect((await returnUnits(vendor.token, o, 2, "wrong size")).status).toBe(200);
  const owedBack = -(await owed(o.subOrderId));
  expect(owedBack).toBeGreaterThan(transfer!.amount_minor);
  return { vendor, o, transfer, owedBack };
}

describe("payout run", () => {
  it("pays a delivered sub-order's net once its hold has passed, and only once", async () => {
    const vendor = await payoutVendor({ priceMinor: 10_000, commissionBps: 1_000 });
    const { subOrderId } = await deliveredOrder(vendor, 2);
    const net = await owed(subOrderId);
    // Goods 20,000 less the 10% fee on goods, plus whatever shipping the order carried.
    expect(net).toBeGreaterThanOrEqual(18_000);

    expect((await runPayoutsAt(1)).result.status).toBe("paid");
    expect(await transfersOf(subOrderId)).toHaveLength(0);

    const run = (await runPayoutsAt(8)).result;
    expect(run).toMatchObject({ status: "paid", transfers: 1 });
    const [transfer] = await transfersOf(subOrderId);
    expect(transfer).toMatchObject({ status: "paid", amount_minor: net });
    expect(await simTransfersOf(subOrderId)).toEqual([{ id: transfer!.provider_transfer_id, amount_minor: net }]);
    expect(await owed(subOrderId)).toBe(0);
    expect(await balance(subOrderId, "vendor_paid")).toBe(-net);

    await runPayoutsAt(9);
    expect(await simTransfersOf(subOrderId)).toHaveLength(1);
  });

  it("an order held for review after delivery pays nobody until ops release it", async () => {
    const vendor = await payoutVendor();
    const { orderId, subOrderId } = await deliveredOrder(vendor);
    const flagged = await api("POST", `/v1/orders/${orderId}/flag`, {
      token: ADMIN,
      body: { note: "chargeback opened on the card" },
    });
    expect(flagged.status).toBe(200);
    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await transfersOf(subOrderId)).toHaveLength(0);
    expect(await simTransfersOf(subOrderId)).toHaveLength(0);

    expect((await api("POST", `/v1/orders/${orderId}/unflag`, { token: ADMIN })).status).toBe(200);
    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await transfersOf(subOrderId)).toMatchObject([{ status: "paid" }]);
  });

  it("a transfer the provider turns down fails alone: the run goes on and later runs pay the others", async () => {
    const gone = await payoutVendor();
    const fine = await payoutVendor();
    const refusedSub = (await deliveredOrder(gone)).subOrderId;
    const first = (await deliveredOrder(fine)).subOrderId;
    // The account was closed at the provider before its webhook reached us: still "ready" here.
    await env.DB.prepare("update vendors set payout_account_id = ? where id = ?")
      .bind(uid("acct_gone_"), gone.vendorId)
      .run();

    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await transfersOf(refusedSub)).toMatchObject([{ status: "failed" }]);
    expect(await transfersOf(first)).toMatchObject([{ status: "paid" }]);
    expect(await owed(refusedSub)).toBeGreaterThan(0);

    const second = (await deliveredOrder(fine)).subOrderId;
    const next = (await runPayoutsAt(8)).result;
    expect(next.status).toBe("paid");
    expect(await transfersOf(second)).toMatchObject([{ status: "paid" }]);
    expect((await transfersOf(refusedSub)).map((t) => t.status)).toEqual(["failed", "failed"]);
  });

  it("holds a vendor whose account is not ready, says why, and pays once it is", async () => {
    const vendor = await payoutVendor({ ready: false });
    const { subOrderId } = await deliveredOrder(vendor);
    const run = (await runPayoutsAt(8)).result;
    expect(run.status).toBe("paid");
    expect(await transfersOf(subOrderId)).toHaveLength(0);
    const held = await env.DB.prepare("select reason from payout_holds where run_id = ? and sub_order_id = ?")
      .bind(run.runId, subOrderId)
      .first<{ reason: string }>();
    expect(held?.reason).toContain("payout account not ready: requirements.past_due");

    await env.DB.prepare(
      "update vendors set payouts_enabled = 1, payout_details_submitted = 1, payout_disabled_reason = null where id = ?",
    )
      .bind(vendor.vendorId)
      .run();
    await runPayoutsAt(8);
    expect(await transfersOf(subOrderId)).toMatchObject([{ status: "paid" }]);
  });

  it("two runs at once pay each sub-order once, through the continuation pages", async () => {
    const vendor = await payoutVendor({ priceMinor: 1_000 });
    const subs: string[] = [];
    for (let i = 0; i < 20; i++) subs.push((await deliveredOrder(vendor)).subOrderId);
    const runs = await Promise.all([runPayoutsAt(8), runPayoutsAt(8)]);
    expect(runs.map((r) => r.result.status).sort()).toEqual(["running", "skipped"]);
    const paidAll = async () => {
      const { results } = await env.DB.prepare(
        "select count(*) as n from payout_transfers where status = 'paid' and sub_order_id in (select value from json_each(?))",
      )
        .bind(JSON.stringify(subs))
        .all<{ n: number }>();
      return results[0]?.n === subs.length;
    };
    await until(paidAll);
    await runPayoutsAt(8);
    for (const sub of subs) expect(await simTransfersOf(sub)).toHaveLength(1);
  });

  it("a run that died between the provider's transfer and its confirmation is repaired, never paid twice", async () => {
    const vendor = await payoutVendor();
    const made = await deliveredOrder(vendor);
    const unasked = await deliveredOrder(vendor);
    const db = database(env);
    // The dead run: its lease lapsed, each transfer written pending; the provider made the first.
    const runId = await openRun();
    const charge = async (orderId: string) =>
      (await env.DB.prepare("select charge_id from payments where order_id = ?")
        .bind(orderId)
        .first<{ charge_id: string }>())!.charge_id;
    const plan = async (o: { orderId: string; subOrderId: string }) =>
      newTransfer(
        runId,
        {
          subOrderId: o.subOrderId,
          orderId: o.orderId,
          vendorId: vendor.vendorId,
          sourceTransaction: await charge(o.orderId),
          payableMinor: await owed(o.subOrderId),
          currency: "INR",
          destination: vendor.accountId,
          carryForwardMinor: 0,
          amountMinor: await owed(o.subOrderId),
        },
        new Date().toISOString(),
      );
    const first = await plan(made);
    const second = await plan(unasked);
    await runBatch(db, pendingStatements(db, [first, second]));
    expect((await requestTransfer(simulatedPayouts(env), first)).ok).toBe(true);

    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    for (const o of [made, unasked]) {
      expect(await transfersOf(o.subOrderId)).toMatchObject([{ status: "paid" }]);
      expect(await simTransfersOf(o.subOrderId)).toHaveLength(1);
      expect(await owed(o.subOrderId)).toBe(0);
    }
    const dead = await env.DB.prepare("select status from payout_runs where id = ?").bind(runId).first();
    expect(dead).toEqual({ status: "interrupted" });
    // What the repair settled counts in the totals of the run that wrote it, and only once.
    await runPayoutsAt(8);
    const totals = await env.DB.prepare(
      "select r.transfers, r.transferred_minor, (select count(*) from payout_transfers t where t.run_id = r.id and t.status = 'paid') as paid, (select sum(t.amount_minor) from payout_transfers t where t.run_id = r.id and t.status = 'paid') as paid_minor from payout_runs r where r.id = ?",
    )
      .bind(runId)
      .first<{ transfers: number; transferred_minor: number; paid: number; paid_minor: number }>();
    expect(totals).toEqual({
      transfers: 2,
      transferred_minor: first.amountMinor + second.amountMinor,
      paid: 2,
      paid_minor: first.amountMinor + second.amountMinor,
    });
  });

  it("a refund after payout reverses the transfer for what was refunded", async () => {
    const vendor = await payoutVendor({ priceMinor: 5_000 });
    const o = await deliveredOrder(vendor, 2);
    await runPayoutsAt(8);
    const paid = -(await balance(o.subOrderId, "vendor_paid"));
    const returned = await returnUnits(vendor.token, o, 1, "wrong size");
    expect(returned.status).toBe(200);
    const owedBack = -(await owed(o.subOrderId));
    expect(owedBack).toBeGreaterThan(0);

    const run = (await runPayoutsAt(8)).result;
    expect(run.status).toBe("paid");
    expect(await owed(o.subOrderId)).toBe(0);
    expect(-(await balance(o.subOrderId, "vendor_paid"))).toBe(paid - owedBack);
    expect(await transfersOf(o.subOrderId)).toMatchObject([{ status: "paid", reversed_minor: owedBack }]);
    const reversed = await env.DB.prepare(
      "select coalesce(sum(amount_minor), 0) as n from sim_transfer_reversals where transfer_id = ?",
    )
      .bind((await transfersOf(o.subOrderId))[0]!.provider_transfer_id)
      .first<{ n: number }>();
    expect(reversed?.n).toBe(owedBack);
  });

  it("a reversal made but never recorded is read back from the provider, not taken again with a later refund", async () => {
    const vendor = await payoutVendor({ priceMinor: 5_000 });
    const o = await deliveredOrder(vendor, 3);
    await runPayoutsAt(8);
    const returnOne = async () => expect((await returnUnits(vendor.token, o, 1, "wrong size")).status).toBe(200);
    await returnOne();
    const firstBack = -(await owed(o.subOrderId));
    // The run asked for this reversal and its answer was lost: the provider made it, the ledger has nothing.
    const [transfer] = await transfersOf(o.subOrderId);
    const lost = await simulatedPayouts(env).reversals.create({
      transferId: transfer!.provider_transfer_id,
      amount: { amountMinor: firstBack, currency: "INR" },
      idempotencyKey: await reversalKey(transfer!, o.subOrderId, 0, firstBack),
      metadata: { subOrderId: o.subOrderId, orderId: o.orderId, vendorId: vendor.vendorId },
    });
    expect(lost.ok).toBe(true);
    await returnOne();
    const bothBack = -(await owed(o.subOrderId));
    expect(bothBack).toBeGreaterThan(firstBack);

    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    const atProvider = await env.DB.prepare(
      "select coalesce(sum(amount_minor), 0) as n from sim_transfer_reversals where transfer_id = ?",
    )
      .bind(transfer!.provider_transfer_id)
      .first<{ n: number }>();
    expect(atProvider?.n).toBe(bothBack);
    expect(await balance(o.subOrderId, "vendor_paid")).toBe(-(transfer!.amount_minor - bothBack));
    expect(await transfersOf(o.subOrderId)).toMatchObject([{ status: "paid", reversed_minor: bothBack }]);
    expect(await owed(o.subOrderId)).toBe(0);
  });

  it("a reversal the provider refuses becomes a debt netted off the vendor's next payout", async () => {
    const vendor = await payoutVendor({ priceMinor: 5_000 });
    const o = await deliveredOrder(vendor, 2);
    await runPayoutsAt(8);
    // The vendor's bank payout already took the money: a reversal finds the balance short.
    await simulateBankPayout(env, vendor.accountId);
    await returnUnits(vendor.token, o, 1, "damaged");
    const debt = -(await owed(o.subOrderId));
    await runPayoutsAt(8);
    expect(await owed(o.subOrderId)).toBe(0);
    expect(await balance(o.subOrderId, "vendor_carry_forward")).toBe(debt);

    const next = await deliveredOrder(vendor, 2);
    const due = await owed(next.subOrderId);
    await runPayoutsAt(8);
    expect(await transfersOf(next.subOrderId)).toMatchObject([{ status: "paid", amount_minor: due - debt }]);
    expect(await carriedDebt(vendor.vendorId)).toBe(0);
  });

  it("a refund larger than a transfer that netted a debt off reverses what is left of it and carries the rest", async () => {
    const { vendor, o, transfer, owedBack } = await refundBeyondNettedTransfer();

    const run = (await runPayoutsAt(8)).result;
    expect(run.status).toBe("paid");
    const atProvider = await env.DB.prepare(
      "select coalesce(sum(amount_minor), 0) as n from sim_transfer_reversals where transfer_id = ?",
    )
      .bind(transfer!.provider_transfer_id)
      .first<{ n: number }>();
    expect(atProvider?.n).toBe(transfer!.amount_minor);
    expect(await transfersOf(o.subOrderId)).toMatchObject([{ status: "paid", reversed_minor: transfer!.amount_minor }]);
    expect(await balance(o.subOrderId, "vendor_paid")).toBe(0);
    expect(await carriedDebt(vendor.vendorId)).toBe(owedBack - transfer!.amount_minor);
    expect(await owed(o.subOrderId)).toBe(0);

    // A rerun finds nothing owed back and asks the provider for nothing more.
    await runPayoutsAt(8);
    expect(await carriedDebt(vendor.vendorId)).toBe(owedBack - transfer!.amount_minor);
    const again = await env.DB.prepare("select count(*) as n from sim_transfer_reversals where transfer_id = ?")
      .bind(transfer!.provider_transfer_id)
      .first<{ n: number }>();
    expect(again?.n).toBe(1);
  });

  it("a capped reversal made but never recorded is read back on the rerun, and only the rest is carried", async () => {
    const { vendor, o, transfer, owedBack } = await refundBeyondNettedTransfer();
    // The run asked for the whole of what was left of the transfer and its answer was lost.
    const lost = await simulatedPayouts(env).reversals.create({
      transferId: transfer!.provider_transfer_id,
      amount: { amountMinor: transfer!.amount_minor, currency: "INR" },
      idempotencyKey: await reversalKey(transfer!, o.subOrderId, 0, transfer!.amount_minor),
      metadata: { subOrderId: o.subOrderId, orderId: o.orderId, vendorId: vendor.vendorId },
    });
    expect(lost.ok).toBe(true);

    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    const { results } = await env.DB.prepare("select amount_minor from sim_transfer_reversals where transfer_id = ?")
      .bind(transfer!.provider_transfer_id)
      .all<{ amount_minor: number }>();
    expect(results).toEqual([{ amount_minor: transfer!.amount_minor }]);
    expect(await transfersOf(o.subOrderId)).toMatchObject([{ status: "paid", reversed_minor: transfer!.amount_minor }]);
    expect(await carriedDebt(vendor.vendorId)).toBe(owedBack - transfer!.amount_minor);
    expect(await owed(o.subOrderId)).toBe(0);
  });

  it("a carried debt larger than any one payout is paid down by each sub-order due, then the vendor is paid again", async () => {
    const vendor = await payoutVendor({ priceMinor: 5_000 });
    const o = await deliveredOrder(vendor, 3);
    await runPayoutsAt(8);
    await simulateBankPayout(env, vendor.accountId);
    const returned = await returnUnits(vendor.token, o, 3, "wrong colour");
    expect(returned.status).toBe(200);
    await runPayoutsAt(8);
    const debt = await balance(o.subOrderId, "vendor_carry_forward");

    // One unit is due: less than the debt, so it pays the debt down whole and nothing moves.
    const small = await deliveredOrder(vendor, 1);
    const smallDue = await owed(small.subOrderId);
    expect(smallDue).toBeLessThan(debt);
    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await transfersOf(small.subOrderId)).toHaveLength(0);
    expect(await owed(small.subOrderId)).toBe(0);
    const left = debt - smallDue;
    const earnings = await api("GET", `/v1/vendors/${vendor.vendorId}/earnings/sub-orders`, { token: vendor.token });
    expect(earnings.body.items.find((i: { subOrderId: string }) => i.subOrderId === small.subOrderId)).toMatchObject({
      state: "set_off",
      setOffMinor: smallDue,
      payableMinor: 0,
    });
    // Listed among the run's holds with its reason, but nothing is held back from the vendor. The
    // report's span ends on the run's day: the latest run before its end is this one (not another
    // test's nine days on).
    const zone = config(env).timeZone;
    const span = `from=${localDay(new Date(), zone)}&to=${localDay(Date.now() + 8 * 86_400_000, zone)}`;
    const report = await api("GET", `/v1/analytics/vendors/${vendor.vendorId}?${span}`, { token: vendor.token });
    expect(report.body.payouts.totals).toMatchObject({ heldBackMinor: 0, heldBackSubOrders: 0 });
    // The set-off unit comes back: its refund is owed by the vendor again, carried on its debt.
    const back = await returnUnits(vendor.token, small, 1, "wrong colour");
    expect(back.status).toBe(200);
    const refundedBack = -(await owed(small.subOrderId));
    expect(refundedBack).toBeGreaterThan(0);
    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await owed(small.subOrderId)).toBe(0);
    const stillOwed = left + refundedBack;

    // Four units are due: more than what is left, so the rest is netted off and the vendor is paid.
    const large = await deliveredOrder(vendor, 4);
    const largeDue = await owed(large.subOrderId);
    expect(largeDue).toBeGreaterThan(stillOwed);
    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await transfersOf(large.subOrderId)).toMatchObject([{ status: "paid", amount_minor: largeDue - stillOwed }]);
    expect(await carriedDebt(vendor.vendorId)).toBe(0);
  });

  it("the same page run twice at once asks the provider for each sub-order once", async () => {
    // Two vendors in one order: A's sub-order is due, B's is not, so the charge has room for more
    // than one transfer of A's net and the provider alone would not refuse a second.
    const a = await payoutVendor({ priceMinor: 1_000 });
    const b = await payoutVendor({ priceMinor: 100_000 });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [
      { skuId: a.skuId, qty: 1 },
      { skuId: b.skuId, qty: 1 },
    ]);
    const paid = await pay(shopper.token, placed.body.payment.id);
    const subA = paid.body.subOrders.find((s: any) => s.vendorId === a.vendorId).id as string;
    await walkToDelivered(a.token, subA);
    // A run that reconciled and is paying; its continuation message is delivered twice at once.
    const at = new Date(Date.now() + 8 * 86_400_000);
    const atS = at.toISOString().replace(/\.\d{3}Z$/, "Z");
    await env.DB.prepare(
      "insert into payout_runs (id, status, currency, period_from, period_before, lease_until, started_at) values (?, 'running', 'INR', ?, ?, ?, ?)",
    )
      .bind(uid("run"), "2026-01-01T00:00:00Z", atS, new Date(at.getTime() + 300_000).toISOString(), atS)
      .run();
    await Promise.all([continuePayouts(env, at, { key: "", id: "" }), continuePayouts(env, at, { key: "", id: "" })]);
    expect(await transfersOf(subA)).toMatchObject([{ status: "paid" }]);
    expect(await simTransfersOf(subA)).toHaveLength(1);
  });

  it("a late page of another run never pays for the run that holds the lease", async () => {
    const vendor = await payoutVendor();
    const { subOrderId } = await deliveredOrder(vendor);
    // A run that has started and not yet reconciled: its clock is its own.
    const at = new Date(Date.now() + 8 * 86_400_000);
    const lease = new Date(at.getTime() + 300_000).toISOString();
    await env.DB.prepare(
      "insert into payout_runs (id, status, currency, period_from, period_before, lease_until, started_at) values (?, 'running', 'INR', ?, ?, ?, ?)",
    )
      .bind(uid("run"), "2026-01-01T00:00:00Z", at.toISOString().replace(/\.\d{3}Z$/, "Z"), lease, at.toISOString())
      .run();
    const stale = await continuePayouts(env, new Date(at.getTime() - 3_600_000), { key: "", id: "" });
    expect(stale).toMatchObject({ status: "skipped" });
    expect(await transfersOf(subOrderId)).toHaveLength(0);
  });
});
