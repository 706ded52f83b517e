import { describe, expect, it } from "vitest";
import { rangeEnding } from "../../web/src/components/Insights";

describe("the insights range", () => {
  it("starts counted back from today in the marketplace's zone and leaves its end to the API's today", () => {
    // 00:30 on 30 November in Kolkata: still the 29th in UTC.
    const afterMidnight = new Date("2026-11-29T19:00:00Z");
    expect(rangeEnding("Asia/Kolkata", 7, afterMidnight)).toEqual({ from: "2026-11-24" });
    expect(rangeEnding("Asia/Kolkata", 90, afterMidnight)).toEqual({ from: "2026-09-02" });
    // The same moment an hour earlier in the zone is the 29th's range.
    expect(rangeEnding("Asia/Kolkata", 7, new Date("2026-11-29T18:00:00Z"))).toEqual({ from: "2026-11-23" });
    // 30 days, or no zone known yet: the API's own default range, ending today.
    expect(rangeEnding("Asia/Kolkata", 30, afterMidnight)).toEqual({});
    expect(rangeEnding(undefined, 7, afterMidnight)).toEqual({});
  });
});
