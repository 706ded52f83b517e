import { describe, expect, it } from "vitest";
import type { OrderEventMessage } from "../../src/contracts/events";
import { compose } from "../../src/notifications/compose";

const cancelled = (refundedMinor: number): OrderEventMessage => ({
  id: 1,
  type: "order.cancelled",
  orderId: "ord_1",
  at: "2026-11-28T10:00:00Z",
  payload: { orderId: "ord_1", refundedMinor, reason: "changed_mind" },
});

describe("messages", () => {
  it("state a refund in the currency's own minor unit", () => {
    const text = (minor: number, currency: string) =>
      compose(cancelled(minor), { customerId: "cus_1", subOrderCount: 1, vendorCount: 1, currency })[0]!.text;
    expect(text(123_450, "INR")).toContain("₹1,234.50 is on its way back");
    // The yen has no minor unit: 1,000 minor units are ¥1,000, not ¥10.
    expect(text(1_000, "JPY")).toContain("¥1,000 is on its way back");
  });
});
