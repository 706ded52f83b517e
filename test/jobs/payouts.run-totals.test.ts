import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { findRun } from "../../src/db/payouts";
import { payoutProvider } from "../../src/gateways/payout-provider";
import type { PayoutProvider } from "../../src/gateways/payouts";
import { payPlan } from "../../src/payouts/run";
import { settlePending } from "../../src/payouts/settle";
import { deliveredOrder, nowSeconds, pageFor, payoutVendor, simTransfersOf, transfersOf } from "../support/payouts";

/**
 * A run's page asks the provider for a transfer and waits; its lease lapses meanwhile, and the next
 * run's settlement finds the transfer at the provider, confirms it and counts it in the first run's
 * totals. The page's own answer then comes back: the transfer is counted once, not again.
 */

/** The provider, whose transfers are answered only after a later run's settlement has run. */
function answeredAfterSettlement(base: PayoutProvider): PayoutProvider {
  return {
    ...base,
    transfers: {
      ...base.transfers,
      create: async (req) => {
        const made = await base.transfers.create(req);
        expect(await settlePending(database(env), base, nowSeconds(), 100)).toMatchObject({ problems: [], settled: 1 });
        return made;
      },
    },
  };
}

describe("a run's totals", () => {
  it("count a transfer a later run's settlement confirmed before the run's own answer came back once", async () => {
    const vendor = await payoutVendor();
    const o = await deliveredOrder(vendor);
    const { db, runId, plan } = await pageFor(vendor);
    expect(plan.transfers.map((t) => t.subOrderId)).toEqual([o.subOrderId]);

    await payPlan(db, answeredAfterSettlement(payoutProvider(env)), runId, plan, nowSeconds());

    const [made] = await simTransfersOf(o.subOrderId);
    expect(await transfersOf(o.subOrderId)).toMatchObject([{ status: "paid", amount_minor: made!.amount_minor }]);
    expect(await findRun(db, runId)).toMatchObject({
      pages: 1,
      transfers: 1,
      transferredMinor: made!.amount_minor,
    });
  });
});
