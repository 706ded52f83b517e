import { describe, expect, it } from "vitest";
import { attemptFailed } from "../../web/src/components/StripePayment";
import type { OrderView, TimelineEvent } from "../../web/src/types";

const failedAt = (at: string): TimelineEvent => ({
  at,
  type: "payment.failed",
  actor: { role: "system", id: null },
  reason: null,
});

/** The order as polled while an attempt is waited on: only its timeline matters here. */
const order = (...timeline: TimelineEvent[]) => ({ timeline }) as unknown as OrderView;

describe("a Stripe payment attempt waited on", () => {
  // A card declined at 10:00:05 (Stripe made the event then), another card confirmed at 10:00:40.
  const retry = Date.parse("2026-11-29T10:00:40.300Z");
  const earlierDecline = failedAt("2026-11-29T10:00:05Z");

  it("is not failed by an earlier attempt's decline whose webhook lands after it was confirmed", () => {
    // Opened with no failure on the order; the decline's webhook lands while this one is polled.
    expect(attemptFailed({ status: "succeeded", startedAt: retry }, order())).toBe(false);
    expect(attemptFailed({ status: "succeeded", startedAt: retry }, order(earlierDecline))).toBe(false);
    expect(attemptFailed({ status: "requires_capture", startedAt: retry }, order(earlierDecline))).toBe(false);
    expect(attemptFailed({ status: "processing", startedAt: retry }, order(earlierDecline))).toBe(false);
  });

  it("a processing attempt is failed by a failure Stripe made after it started, whatever came before", () => {
    const own = failedAt("2026-11-29T10:03:12Z");
    expect(attemptFailed({ status: "processing", startedAt: retry }, order(earlierDecline, own))).toBe(true);
    // Stripe's times are whole seconds: one made in the second the attempt started is its own.
    expect(attemptFailed({ status: "processing", startedAt: retry }, order(failedAt("2026-11-29T10:00:40Z")))).toBe(
      true,
    );
  });

  it("a succeeded attempt is never taken for failed: the bank said yes, the webhook marks the order paid", () => {
    const later = failedAt("2026-11-29T10:03:12Z");
    expect(attemptFailed({ status: "succeeded", startedAt: retry }, order(earlierDecline, later))).toBe(false);
  });
});
