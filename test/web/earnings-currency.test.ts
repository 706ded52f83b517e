import { describe, expect, it } from "vitest";
import { formatMoney } from "../../web/src/format";
import { subOrderFigures } from "../../web/src/pages/vendor/Earnings";
import type { SubOrderEarnings } from "../../web/src/types";

const row = (currency: string): SubOrderEarnings => ({
  subOrderId: "sub_earn_cur_1",
  orderId: "ord_earn_cur_1",
  status: "delivered",
  state: "pending",
  createdAt: "2026-11-29T10:00:00Z",
  deliveredAt: "2026-11-29T12:00:00Z",
  clearsAt: "2026-12-06T12:00:00Z",
  currency,
  goodsMinor: 10_000,
  shippingMinor: 500,
  feeMinor: 1_000,
  adjustmentMinor: 0,
  refundedMinor: 2_000,
  payableMinor: 7_500,
  inTransitMinor: 0,
  transferredMinor: 0,
  setOffMinor: 0,
  history: [],
  creditNotes: [],
});

describe("the earnings page's rows", () => {
  it("are in each sub-order's own currency, whatever the totals (still loading, or failed) would say", () => {
    const usd = (amountMinor: number) => formatMoney({ amountMinor, currency: "USD" });
    expect(subOrderFigures(row("USD"))).toBe(
      `Owed ${usd(7_500)} · goods ${usd(10_000)} + shipping ${usd(500)} − fee ${usd(1_000)} · refunded ${usd(2_000)}`,
    );
    expect(subOrderFigures(row("USD"))).not.toContain("₹");
    const inr = (amountMinor: number) => formatMoney({ amountMinor, currency: "INR" });
    expect(subOrderFigures(row("INR"))).toContain(`Owed ${inr(7_500)}`);
  });
});
