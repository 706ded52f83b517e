import { describe, expect, it } from "vitest";
import { type DueSubOrder, planPayouts, type VendorPayoutState } from "../../src/domain/payout-plan";

const due = (subOrderId: string, vendorId: string, payableMinor: number): DueSubOrder => ({
  subOrderId,
  orderId: `ord_${subOrderId}`,
  vendorId,
  sourceTransaction: null,
  payableMinor,
  currency: "INR",
});
const ready = (carriedDebtMinor: number): VendorPayoutState => ({
  accountId: "acct_1",
  ready: true,
  notReadyBecause: null,
  carriedDebtMinor,
});

describe("payout plan", () => {
  it("pays a carried debt down with each due sub-order in turn, then nets the rest off a transfer", () => {
    const plan = planPayouts(
      [due("a", "v", 400), due("b", "v", 500), due("c", "v", 300), due("d", "v", 900), due("e", "w", 50)],
      new Map([
        ["v", ready(1_000)],
        ["w", ready(0)],
      ]),
    );
    expect(plan.setOffs.map((s) => [s.subOrderId, s.payableMinor])).toEqual([
      ["a", 400],
      ["b", 500],
    ]);
    expect(plan.transfers.map((t) => [t.subOrderId, t.carryForwardMinor, t.amountMinor])).toEqual([
      ["c", 100, 200],
      ["d", 0, 900],
      ["e", 0, 50],
    ]);
    expect(plan.holds.map((h) => [h.subOrderId, h.reason])).toEqual([
      ["a", "set against the carried debt of 1000 from refunds after payout; 600 left to pay down"],
      ["b", "set against the carried debt of 600 from refunds after payout; 100 left to pay down"],
    ]);
  });

  it("sets nothing off for a vendor it cannot pay: the debt waits with the payable", () => {
    const plan = planPayouts(
      [due("a", "v", 400)],
      new Map([["v", { ...ready(1_000), ready: false, notReadyBecause: "requirements.past_due" }]]),
    );
    expect(plan).toEqual({
      transfers: [],
      setOffs: [],
      holds: [
        {
          subOrderId: "a",
          vendorId: "v",
          payableMinor: 400,
          reason: "payout account not ready: requirements.past_due",
        },
      ],
    });
  });
});
