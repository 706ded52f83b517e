import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { payoutProvider } from "../../src/gateways/payout-provider";
import { payPlan } from "../../src/payouts/run";
import { uid } from "../support/api";
import { balance, carriedDebt, deliveredOrder, nowSeconds, owed, pageFor, vendorInDebt } from "../support/payouts";

/**
 * A page reads what is due, then writes its set-offs against the vendors' carried debt: an order held
 * for review, or a refund of the sub-order owed to its shopper, landing in between stops the set-off
 * as it stops a transfer, since the page's read would not have found the sub-order due.
 */

/** The sub-order's holds in any run and its set-off journals. */
async function setOffOf(subOrderId: string) {
  const holds = await env.DB.prepare("select run_id, reason from payout_holds where sub_order_id = ?")
    .bind(subOrderId)
    .all();
  const journals = await env.DB.prepare(
    "select distinct j.id from ledger_journals j join ledger_entries e on e.journal_id = j.id where e.sub_order_id = ? and j.kind = 'carry_forward'",
  )
    .bind(subOrderId)
    .all();
  return { holds: holds.results, journals: journals.results };
}

const holdForReview = (o: { orderId: string }) =>
  env.DB.prepare("update orders set review_held = 1 where id = ?").bind(o.orderId).run();

const oweRefund = (o: { orderId: string; subOrderId: string }) =>
  env.DB.prepare(
    "insert into pending_refunds (id, sub_order_id, order_id, payment_id, kind, amount_minor, currency, reason, created_at) select ?, ?, order_id, id, 'return', 100, currency, 'wrong size', ? from payments where order_id = ?",
  )
    .bind(uid("pr"), o.subOrderId, nowSeconds(), o.orderId)
    .run();

describe("a set-off planned before its sub-order stopped being due", () => {
  it.each([
    ["its order was held for review", holdForReview],
    ["a refund of it came to be owed", oweRefund],
  ])("is not written when %s after the page read it", async (_why, meanwhile) => {
    const { vendor, debt } = await vendorInDebt();
    const o = await deliveredOrder(vendor, 1);
    const due = await owed(o.subOrderId);
    expect(due).toBeLessThanOrEqual(debt);

    const { db, runId, plan } = await pageFor(vendor);
    expect(plan.setOffs.map((s) => s.subOrderId)).toEqual([o.subOrderId]);
    await meanwhile(o);
    await payPlan(db, payoutProvider(env), runId, plan, nowSeconds());

    expect(await setOffOf(o.subOrderId)).toEqual({ holds: [], journals: [] });
    expect(await owed(o.subOrderId)).toBe(due);
    expect(await balance(o.subOrderId, "vendor_carry_forward")).toBe(0);
    expect(await carriedDebt(vendor.vendorId)).toBe(debt);
  });
});
