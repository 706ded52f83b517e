import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { dueSubOrders, vendorPayoutStates } from "../../src/db/payouts";
import { planPayouts } from "../../src/domain/payout-plan";
import { holdSuspended } from "../../src/domain/payout-readiness";
import { payoutProvider } from "../../src/gateways/payout-provider";
import { payPlan } from "../../src/payouts/run";
import { ADMIN, api } from "../support/api";
import {
  deliveredOrder,
  leftPending,
  openRun,
  owed,
  payoutVendor,
  runPayoutsAt,
  transfersOf,
} from "../support/payouts";

/**
 * A suspended vendor's earnings accrue but no transfer is made while it is suspended: the payout run
 * holds its due sub-orders back saying why, and the first run after it is reinstated pays them.
 */

const setStatus = async (vendorId: string, status: "active" | "suspended") => {
  const r = await api("PATCH", `/v1/vendors/${vendorId}`, { token: ADMIN, body: { status } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
};

/** What the provider moved for the sub-order, and where to. */
async function providerTransfers(subOrderId: string) {
  const { results } = await env.DB.prepare("select destination, amount_minor from sim_transfers where sub_order_id = ?")
    .bind(subOrderId)
    .all<{ destination: string; amount_minor: number }>();
  return results;
}

/** A run as one whose lease lapsed left it: running, long past. */
describe("payouts to a suspended vendor", () => {
  it("holds its due earnings back with the reason while suspended, and pays them once it is reinstated", async () => {
    const vendor = await payoutVendor();
    const other = await payoutVendor();
    const o = await deliveredOrder(vendor, 2);
    const paidElsewhere = await deliveredOrder(other);
    const due = await owed(o.subOrderId);
    expect(due).toBeGreaterThan(0);
    await setStatus(vendor.vendorId, "suspended");

    const run = (await runPayoutsAt(8)).result;
    expect(run.status).toBe("paid");
    expect(await providerTransfers(o.subOrderId)).toEqual([]);
    expect(await transfersOf(o.subOrderId)).toEqual([]);
    expect(await owed(o.subOrderId)).toBe(due);
    // Ops' view of the run says why; other vendors are paid as ever.
    const detail = await api("GET", `/v1/payouts/runs/${run.runId}`, { token: ADMIN });
    expect(detail.status).toBe(200);
    expect(detail.body.heldBack.filter((h: { vendorId: string }) => h.vendorId === vendor.vendorId)).toEqual([
      {
        vendorId: vendor.vendorId,
        reason: expect.stringContaining("vendor suspended"),
        subOrders: 1,
        payableMinor: due,
      },
    ]);
    expect(await providerTransfers(paidElsewhere.subOrderId)).toHaveLength(1);

    // Still suspended: the next run holds it again.
    await runPayoutsAt(8);
    expect(await providerTransfers(o.subOrderId)).toEqual([]);

    await setStatus(vendor.vendorId, "active");
    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await providerTransfers(o.subOrderId)).toEqual([{ destination: vendor.accountId, amount_minor: due }]);
    expect(await owed(o.subOrderId)).toBe(0);
  });

  it("does not ask again for a transfer a dead run left pending once the vendor is suspended", async () => {
    const vendor = await payoutVendor();
    const o = await deliveredOrder(vendor, 3);
    const due = await owed(o.subOrderId);
    await leftPending(vendor, o);
    await setStatus(vendor.vendorId, "suspended");

    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await providerTransfers(o.subOrderId)).toEqual([]);
    expect(await transfersOf(o.subOrderId)).toMatchObject([{ status: "failed" }]);
    expect(await owed(o.subOrderId)).toBe(due);

    await setStatus(vendor.vendorId, "active");
    await runPayoutsAt(8);
    expect(await providerTransfers(o.subOrderId)).toEqual([{ destination: vendor.accountId, amount_minor: due }]);
  });

  it("makes no transfer a page planned before the suspension landed", async () => {
    const vendor = await payoutVendor();
    const o = await deliveredOrder(vendor, 2);
    const due = await owed(o.subOrderId);
    const db = database(env);
    const runId = await openRun();
    // The page reads the vendor as active and plans the transfer...
    const read = await dueSubOrders(db, { deliveredBefore: new Date(Date.now() + 1_000).toISOString(), limit: 100 });
    const mine = read.due.filter((d) => d.vendorId === vendor.vendorId);
    const plan = holdSuspended(planPayouts(mine, await vendorPayoutStates(db, [vendor.vendorId])), new Map());
    expect(plan.transfers.map((t) => t.subOrderId)).toEqual([o.subOrderId]);
    // ...then the suspension lands before its batch writes.
    await setStatus(vendor.vendorId, "suspended");
    await payPlan(db, payoutProvider(env), runId, plan, new Date().toISOString().replace(/\.\d{3}Z$/, "Z"));

    expect(await transfersOf(o.subOrderId)).toEqual([]);
    expect(await providerTransfers(o.subOrderId)).toEqual([]);
    expect(await owed(o.subOrderId)).toBe(due);
  });

  it("still sets a suspended vendor's earnings against its carried debt, transferring nothing beyond it", () => {
    const due = (subOrderId: string, payableMinor: number) => ({
      subOrderId,
      orderId: `ord-${subOrderId}`,
      vendorId: "ven-s",
      sourceTransaction: null,
      payableMinor,
      currency: "INR",
    });
    const states = new Map([
      ["ven-s", { accountId: "acct-s", ready: true, notReadyBecause: null, carriedDebtMinor: 700, suspended: true }],
    ]);
    const plan = holdSuspended(planPayouts([due("a", 500), due("b", 900)], states), states);
    expect(plan.transfers).toEqual([]);
    expect(plan.setOffs.map((s) => s.subOrderId)).toEqual(["a"]);
    expect(plan.holds).toEqual([
      expect.objectContaining({ subOrderId: "a", reason: expect.stringContaining("carried debt") }),
      expect.objectContaining({
        subOrderId: "b",
        payableMinor: 900,
        reason: expect.stringContaining("vendor suspended"),
      }),
    ]);
  });
});
