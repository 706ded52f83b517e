import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { dueSubOrders, vendorPayoutStates } from "../../src/db/payouts";
import { planPayouts } from "../../src/domain/payout-plan";
import { payoutProvider } from "../../src/gateways/payout-provider";
import { payPlan } from "../../src/payouts/run";
import {
  balance,
  carriedDebt,
  deliveredOrder,
  owed,
  returnUnits,
  runPayoutsAt,
  simTransfersOf,
  transfersOf,
  vendorInDebt,
} from "../support/payouts";

/** The refund journals of a sub-order, in the order they were posted. */
async function refundJournals(subOrderId: string) {
  const { results } = await env.DB.prepare(
    "select distinct j.id, j.at from ledger_journals j join ledger_entries e on e.journal_id = j.id where e.sub_order_id = ? and j.kind = 'refund' order by j.rowid",
  )
    .bind(subOrderId)
    .all<{ id: string; at: string }>();
  return results;
}

describe("payout page written on stale reads", () => {
  it("a page that read a sub-order due before its set-off and the debt after writes and asks for nothing", async () => {
    const { vendor, debt } = await vendorInDebt();
    const y = await deliveredOrder(vendor, 1);
    const x = await deliveredOrder(vendor, 4);
    const yDue = await owed(y.subOrderId);
    const xDue = await owed(x.subOrderId);
    expect(yDue).toBeLessThanOrEqual(debt);
    expect(xDue).toBeGreaterThan(debt - yDue);

    // Invocation B reads the due sub-orders, then A's batch lands (Y set off, the rest netted off X)...
    const db = database(env);
    const read = await dueSubOrders(db, { deliveredBefore: new Date(Date.now() + 1_000).toISOString(), limit: 100 });
    const stale = read.due.filter((d) => d.vendorId === vendor.vendorId);
    expect(stale.map((d) => d.subOrderId).sort()).toEqual([x.subOrderId, y.subOrderId].sort());
    const a = (await runPayoutsAt(8)).result;
    expect(a.status).toBe("paid");
    expect(await owed(y.subOrderId)).toBe(0);
    expect(await transfersOf(y.subOrderId)).toHaveLength(0);
    expect(await transfersOf(x.subOrderId)).toMatchObject([{ status: "paid", amount_minor: xDue - (debt - yDue) }]);
    expect(await carriedDebt(vendor.vendorId)).toBe(0);

    // ...then B reads the debt (gone) and plans Y as a transfer of its whole payable.
    const plan = planPayouts(stale, await vendorPayoutStates(db, [vendor.vendorId]));
    expect(plan.transfers.map((t) => [t.subOrderId, t.amountMinor])).toContainEqual([y.subOrderId, yDue]);
    await payPlan(db, payoutProvider(env), a.runId, plan, new Date().toISOString().replace(/\.\d{3}Z$/, "Z"));

    expect(await transfersOf(y.subOrderId)).toHaveLength(0);
    expect(await simTransfersOf(y.subOrderId)).toHaveLength(0);
    expect(await owed(y.subOrderId)).toBe(0);
    expect(await transfersOf(x.subOrderId)).toHaveLength(1);
    expect(await simTransfersOf(x.subOrderId)).toHaveLength(1);
    expect(await owed(x.subOrderId)).toBe(0);
    expect(await carriedDebt(vendor.vendorId)).toBe(0);
  });
});

describe("refunds of a set-off sub-order carried onto the debt", () => {
  it.each([
    ["the same time as", 0],
    ["an earlier time than", 1_000],
  ])("a second refund stamped %s the one carried before is carried too", async (_when, earlierMs) => {
    const { vendor, debt } = await vendorInDebt();
    const s = await deliveredOrder(vendor, 2);
    const due = await owed(s.subOrderId);
    expect(due).toBeLessThanOrEqual(debt);
    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await transfersOf(s.subOrderId)).toHaveLength(0);
    expect(await owed(s.subOrderId)).toBe(0);

    expect((await returnUnits(vendor.token, s, 1, "wrong colour")).status).toBe(200);
    const firstBack = -(await owed(s.subOrderId));
    expect(firstBack).toBeGreaterThan(0);
    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await owed(s.subOrderId)).toBe(0);

    expect((await returnUnits(vendor.token, s, 1, "wrong colour")).status).toBe(200);
    const secondBack = -(await owed(s.subOrderId));
    expect(secondBack).toBeGreaterThan(0);
    // The second refund's journal is stamped as the pending-refunds job may stamp it: no later than the first's.
    const [first, second] = await refundJournals(s.subOrderId);
    const at = new Date(Date.parse(first!.at) - earlierMs).toISOString().replace(/\.\d{3}Z$/, "Z");
    await env.DB.batch([
      env.DB.prepare("update ledger_journals set at = ? where id = ?").bind(at, second!.id),
      env.DB.prepare("update ledger_entries set at = ? where journal_id = ?").bind(at, second!.id),
    ]);

    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await owed(s.subOrderId)).toBe(0);
    expect(await balance(s.subOrderId, "vendor_carry_forward")).toBe(firstBack + secondBack - due);
    expect(await carriedDebt(vendor.vendorId)).toBe(debt - due + firstBack + secondBack);

    // A rerun carries nothing more.
    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await carriedDebt(vendor.vendorId)).toBe(debt - due + firstBack + secondBack);
  });
});
