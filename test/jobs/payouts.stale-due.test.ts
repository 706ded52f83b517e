import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { payoutProvider } from "../../src/gateways/payout-provider";
import { payPlan } from "../../src/payouts/run";
import { uid } from "../support/api";
import {
  deliveredOrder,
  nowSeconds,
  owed,
  pageFor,
  payoutVendor,
  simTransfersOf,
  transfersOf,
} from "../support/payouts";

/**
 * A page reads what is due, then writes its transfers: an order held for review, or a refund of the
 * sub-order owed to its shopper, landing in between stops the transfer as a suspension does, since
 * the page's read would not have found the sub-order due.
 */

/** A page's plan for the vendor's due sub-orders, read now; `meanwhile` lands before its batch writes. */
async function planThenWrite(vendor: { vendorId: string }, meanwhile: () => Promise<unknown>) {
  const { db, runId, plan } = await pageFor(vendor);
  await meanwhile();
  await payPlan(db, payoutProvider(env), runId, plan, nowSeconds());
  return plan;
}

describe("a transfer planned before its sub-order stopped being due", () => {
  it("is not made when its order was held for review after the page read it", async () => {
    const vendor = await payoutVendor();
    const o = await deliveredOrder(vendor);
    const due = await owed(o.subOrderId);
    const plan = await planThenWrite(vendor, () =>
      env.DB.prepare("update orders set review_held = 1 where id = ?").bind(o.orderId).run(),
    );
    expect(plan.transfers.map((t) => t.subOrderId)).toEqual([o.subOrderId]);

    expect(await transfersOf(o.subOrderId)).toEqual([]);
    expect(await simTransfersOf(o.subOrderId)).toEqual([]);
    expect(await owed(o.subOrderId)).toBe(due);
  });

  it("is not made when a refund of it came to be owed after the page read it", async () => {
    const vendor = await payoutVendor();
    const o = await deliveredOrder(vendor, 2);
    const due = await owed(o.subOrderId);
    const plan = await planThenWrite(vendor, () =>
      env.DB.prepare(
        "insert into pending_refunds (id, sub_order_id, order_id, payment_id, kind, amount_minor, currency, reason, created_at) select ?, ?, order_id, id, 'return', 100, currency, 'wrong size', ? from payments where order_id = ?",
      )
        .bind(uid("pr"), o.subOrderId, nowSeconds(), o.orderId)
        .run(),
    );
    expect(plan.transfers.map((t) => t.subOrderId)).toEqual([o.subOrderId]);

    expect(await transfersOf(o.subOrderId)).toEqual([]);
    expect(await simTransfersOf(o.subOrderId)).toEqual([]);
    expect(await owed(o.subOrderId)).toBe(due);
  });
});
