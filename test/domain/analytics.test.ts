import { describe, expect, it } from "vitest";
import { bucketOf, LATENCY_BUCKET_BOUNDS_MINUTES, percentile } from "../../src/domain/latency-histogram";
import { dayStart, localDay } from "../../src/domain/local-day";
import { daysOfCover, suggestReorder } from "../../src/domain/reorder";

describe("latency histogram", () => {
  it("buckets by the first bound at or above, the rest in the open bucket", () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(30)).toBe(0);
    expect(bucketOf(31)).toBe(1);
    expect(bucketOf(1_000_000)).toBe(LATENCY_BUCKET_BOUNDS_MINUTES.length);
  });

  it("interpolates a percentile inside the bucket holding its rank", () => {
    const counts = Array.from({ length: LATENCY_BUCKET_BOUNDS_MINUTES.length + 1 }, () => 0);
    counts[bucketOf(90)] = 10; // 60–120 minutes
    counts[bucketOf(1500)] = 10; // 1440–2160 minutes
    expect(percentile(counts, 0.5)).toBe(120);
    expect(percentile(counts, 0.25)).toBe(90);
    expect(percentile(counts, 0.9)).toBe(1440 + Math.round(0.8 * 720));
    expect(
      percentile(
        counts.map(() => 0),
        0.5,
      ),
    ).toBeNull();
  });
});

describe("local days", () => {
  it("reads days and their starts in the zone", () => {
    expect(localDay("2026-03-01T19:00:00Z", "Asia/Kolkata")).toBe("2026-03-02");
    expect(dayStart("2026-03-02", "Asia/Kolkata").toISOString()).toBe("2026-03-01T18:30:00.000Z");
    // A 23-hour day where clocks move forward.
    const start = dayStart("2026-03-08", "America/New_York").getTime();
    expect(dayStart("2026-03-09", "America/New_York").getTime() - start).toBe(23 * 3_600_000);
  });

  it("starts a day whose midnight clocks skip or repeat at its first second, not an hour off", () => {
    // Santiago, Havana, Asuncion and Beirut moved their clocks from 00:00 straight to 01:00 that
    // day; Amman from 01:00 back to 00:00, so its day began at the first of two midnights.
    for (const [zone, day, start] of [
      ["America/Santiago", "2024-09-08", "2024-09-08T04:00:00.000Z"],
      ["America/Havana", "2024-03-10", "2024-03-10T05:00:00.000Z"],
      ["America/Asuncion", "2023-10-01", "2023-10-01T04:00:00.000Z"],
      ["Asia/Beirut", "2024-03-31", "2024-03-30T22:00:00.000Z"],
      ["Asia/Amman", "2020-10-30", "2020-10-29T21:00:00.000Z"],
    ] as const) {
      const at = dayStart(day, zone);
      expect(at.toISOString(), zone).toBe(start);
      expect(localDay(at, zone), zone).toBe(day);
      expect(localDay(at.getTime() - 1000, zone), zone).not.toBe(day);
    }
  });
});

describe("reorder suggestion", () => {
  it("orders enough for the lead time and the cover after it, by a lead time before running out", () => {
    const s = suggestReorder({
      available: 30,
      unitsSold: 84,
      windowDays: 28,
      leadTimeDays: 5,
      coverDays: 14,
      today: "2026-01-01",
    });
    expect(s).toEqual({
      velocityPerDayX100: 300,
      quantity: 3 * 19 - 30,
      runOutDate: "2026-01-11",
      orderBy: "2026-01-06",
    });
    expect(
      suggestReorder({
        available: 5,
        unitsSold: 0,
        windowDays: 28,
        leadTimeDays: 5,
        coverDays: 14,
        today: "2026-01-01",
      }),
    ).toMatchObject({ quantity: 0, runOutDate: null });
    // A huge count at a trickle of sales: no run-out day within ten years (nor any date past 9999).
    for (const available of [150_000, 4_000_000, 1_000_000_000]) {
      expect(
        suggestReorder({
          available,
          unitsSold: 1,
          windowDays: 28,
          leadTimeDays: 5,
          coverDays: 14,
          today: "2026-01-01",
        }),
      ).toEqual({ velocityPerDayX100: 4, quantity: 0, runOutDate: null, orderBy: null });
    }
    expect(
      suggestReorder({
        available: 130,
        unitsSold: 1,
        windowDays: 28,
        leadTimeDays: 5,
        coverDays: 14,
        today: "2026-01-01",
      }).runOutDate,
    ).toBe("2035-12-20");
  });

  it("counts in whole numbers: no unit too many, no day too few", () => {
    const at = { windowDays: 28, coverDays: 14, today: "2026-01-01" };
    // 36 sold over 28 days, for 7 + 14 days: exactly 27.
    expect(suggestReorder({ ...at, available: 0, unitsSold: 36, leadTimeDays: 7 }).quantity).toBe(27);
    // 9 sold over 28 days: 9 units last exactly 28 days.
    expect(suggestReorder({ ...at, available: 9, unitsSold: 9, leadTimeDays: 7 }).runOutDate).toBe("2026-01-29");
    for (let sold = 1; sold <= 200; sold++) {
      for (let lead = 0; lead <= 60; lead++) {
        const { quantity } = suggestReorder({ ...at, available: 0, unitsSold: sold, leadTimeDays: lead });
        expect(quantity * 28 >= sold * (lead + 14) && (quantity - 1) * 28 < sold * (lead + 14)).toBe(true);
      }
    }
    expect(daysOfCover(23, 23, 30)).toBe(30);
    expect(daysOfCover(5, 0, 30)).toBeNull();
  });
});
