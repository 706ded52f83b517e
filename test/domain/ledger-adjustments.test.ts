import { describe, expect, it } from "vitest";
import { balanceOf, type Journal } from "../../src/domain/ledger";
import {
  capturePosting,
  reassignmentPosting,
  refundPosting,
  subOrderMoney,
  vendorNet,
} from "../../src/domain/ledger-postings";

/**
 * One sub-order holding a line on a dearer offer and one on a cheaper one: each line's own difference
 * goes with its units, whatever the sign of the sub-order's total.
 */

const head = { currency: "INR", at: "2026-11-29T05:00:00Z", orderId: "ord_mixed" };
const A = { subOrderId: "sub_a", vendorId: "ven_a", commissionBps: 1_000 };
const B = { subOrderId: "sub_b", vendorId: "ven_b", commissionBps: 1_000 };
const C = { subOrderId: "sub_c", vendorId: "ven_c", commissionBps: 1_000 };

/**
 * Two lines at the shopper's 100,000 each, captured on vendor A, then reassigned to vendor B: P1 at
 * B's 120,000 (+20,000), P2 at B's 90,000 (−10,000). B: goods 200,000, fee 20,000, adjustment
 * +10,000, payable 190,000.
 */
function mixed(): Journal[] {
  const journals: Journal[] = [
    capturePosting({ ...head, paymentId: "pay_mixed" }, [{ ...A, goodsMinor: 200_000, shippingMinor: 0 }]),
  ];
  const entries = () => journals.flatMap((j) => j.entries);
  for (const [id, difference] of [
    ["ra_p1", 20_000],
    ["ra_p2", -10_000],
  ] as const) {
    const posted = reassignmentPosting(
      { ...head, reassignmentId: id },
      {
        source: subOrderMoney(A, entries()),
        target: subOrderMoney(B, entries()),
        goodsMinor: 100_000,
        shippingMinor: 0,
        priceDifferenceMinor: difference,
        sourceAdjustmentMinor: 0,
      },
    );
    if (!posted.ok) throw new Error(JSON.stringify(posted));
    journals.push(posted.journal);
  }
  return journals;
}

const balanced = (j: Journal) => expect(j.entries.reduce((n, e) => n + e.amountMinor, 0)).toBe(0);

describe("a sub-order with lines on dearer and cheaper offers", () => {
  it("holds the sum of its lines' differences", () => {
    const b = subOrderMoney(
      B,
      mixed().flatMap((j) => j.entries),
    );
    expect(b).toMatchObject({ goodsMinor: 200_000, feeMinor: 20_000, adjustmentMinor: 10_000 });
    expect(vendorNet(b)).toBe(190_000);
  });

  it.each([
    { line: "P2, the cheaper line", adjustmentMinor: -10_000, payable: 110_000, left: 20_000 },
    { line: "P1, the dearer line", adjustmentMinor: 20_000, payable: 80_000, left: -10_000 },
  ])("a return of $line gives back that line's own difference", ({ adjustmentMinor, payable, left }) => {
    const journals = mixed();
    const before = subOrderMoney(
      B,
      journals.flatMap((j) => j.entries),
    );
    const refund = refundPosting(
      { ...head, paymentId: "pay_mixed", refundId: `rf_${adjustmentMinor}` },
      [before],
      [{ subOrderId: B.subOrderId, goodsMinor: 100_000, shippingMinor: 0, adjustmentMinor }],
    );
    balanced(refund);
    const entries = [...journals, refund].flatMap((j) => j.entries);
    const after = subOrderMoney(B, entries);
    expect(after).toMatchObject({ goodsMinor: 100_000, feeMinor: 10_000, adjustmentMinor: left });
    expect(vendorNet(after)).toBe(payable);
    expect(0 - balanceOf(entries, "vendor_payable", B.vendorId)).toBe(payable);
    // The platform's reassignment cost is what the kept line still costs it.
    expect(balanceOf(entries, "platform_reassignment_cost")).toBe(left);
  });

  it.each([
    { line: "P2, the cheaper line", carried: -10_000, left: 20_000, payable: 110_000 },
    { line: "P1, the dearer line", carried: 20_000, left: -10_000, payable: 80_000 },
  ])("a reassignment of $line moves that line's own difference", ({ carried, left, payable }) => {
    const journals = mixed();
    const entries = () => journals.flatMap((j) => j.entries);
    // Vendor C's offer is 95,000: the line's difference becomes −5,000.
    const posted = reassignmentPosting(
      { ...head, reassignmentId: `ra_c_${carried}` },
      {
        source: subOrderMoney(B, entries()),
        target: subOrderMoney(C, entries()),
        goodsMinor: 100_000,
        shippingMinor: 0,
        priceDifferenceMinor: -5_000 - carried,
        sourceAdjustmentMinor: carried,
      },
    );
    if (!posted.ok) throw new Error(JSON.stringify(posted));
    balanced(posted.journal);
    journals.push(posted.journal);
    const b = subOrderMoney(B, entries());
    expect(b).toMatchObject({ goodsMinor: 100_000, feeMinor: 10_000, adjustmentMinor: left });
    expect(vendorNet(b)).toBe(payable);
    const c = subOrderMoney(C, entries());
    expect(c).toMatchObject({ goodsMinor: 100_000, feeMinor: 10_000, adjustmentMinor: -5_000 });
    expect(vendorNet(c)).toBe(85_000);
    expect(balanceOf(entries(), "platform_reassignment_cost")).toBe(left - 5_000);
  });
});
