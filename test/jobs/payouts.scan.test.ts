import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newCustomer } from "../support/api";
import { deliveredOrder, payoutVendor, runPayoutsAt, transfersOf } from "../support/payouts";
import { seedPaidOrder } from "../support/seed";

// Every run scans the delivered sub-orders from the oldest; this file's storage holds only what
// this test plants, so the first page is exactly what the scan finds first.
describe("payout run's scan", () => {
  it("skips delivered sub-orders with nothing left to pay, so a run's first page pays what is due", async () => {
    const vendor = await payoutVendor();
    const shopper = await newCustomer();
    // More than a page of sub-orders delivered long ago with nothing in the ledger for them
    // (captured before it existed): nothing to pay, ever.
    const longAgo = new Date(Date.now() - 60 * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
    for (let i = 0; i < 20; i++) {
      const { subOrderIds } = await seedPaidOrder(shopper.customerId, [vendor.vendorId]);
      await env.DB.prepare("update sub_orders set status = 'delivered', delivered_at = ? where id = ?")
        .bind(longAgo, subOrderIds[0])
        .run();
    }
    const due = await deliveredOrder(vendor);

    const run = (await runPayoutsAt(8)).result;
    expect(run).toMatchObject({ status: "paid", transfers: 1, continued: false });
    expect(await transfersOf(due.subOrderId)).toMatchObject([{ status: "paid" }]);
  });
});
