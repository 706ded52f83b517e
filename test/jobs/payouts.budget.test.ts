import { describe, expect, it } from "vitest";
import { LIMITS, meteredDelivery, meteredJob } from "../support/invocation-budget";
import { deliveredOrder, payoutVendor } from "../support/payouts";

// The payout run shares its hourly invocation with the other hourly jobs: a fifth of the limits,
// as test/http/invocation-budget.test.ts holds the every-minute jobs to.
const BUDGET = { queries: LIMITS.queries / 5, subrequests: LIMITS.subrequests / 5 };
const DUE = 40;

describe("payout run within one invocation's limits", () => {
  it("pays a page per invocation, the first with its reconciliation, however many are due", async () => {
    const vendors = await Promise.all([payoutVendor({ priceMinor: 700 }), payoutVendor({ priceMinor: 900 })]);
    for (let i = 0; i < DUE; i += 4) {
      await Promise.all(vendors.flatMap((v) => [deliveredOrder(v), deliveredOrder(v)]));
    }
    const at = new Date(Date.now() + 8 * 86_400_000);
    const first = await meteredJob("payouts", at);
    expect(first.error).toBeUndefined();
    expect(first.result).toMatchObject({ status: "running", continued: true });
    expect(first.spend.queries).toBeLessThan(BUDGET.queries);
    expect(first.spend.subrequests).toBeLessThan(BUDGET.subrequests);

    const next = await meteredDelivery([
      { type: "job.continue", job: "payouts", at: at.toISOString(), after: { key: "", id: "" } },
    ]);
    expect(next.result.explicitAcks).toHaveLength(1);
    expect(next.spend.queries).toBeLessThan(BUDGET.queries);
    expect(next.spend.subrequests).toBeLessThan(BUDGET.subrequests);
  });
});
