import { describe, expect, it } from "vitest";
import { formatMoney, parseMoney } from "../../web/src/format";

describe("prices as typed in the vendor app", () => {
  it("become minor units by the currency's own fraction digits, never through a float", () => {
    expect(parseMoney("249.50", "INR")).toEqual({ amountMinor: 24_950, currency: "INR" });
    expect(parseMoney(" 499 ", "INR")).toEqual({ amountMinor: 49_900, currency: "INR" });
    expect(parseMoney("0.29", "USD")).toEqual({ amountMinor: 29, currency: "USD" });
    expect(parseMoney("1.005", "KWD")).toEqual({ amountMinor: 1_005, currency: "KWD" });
    expect(parseMoney("1500", "JPY")).toEqual({ amountMinor: 1_500, currency: "JPY" });
    // 19.99 * 100 is 1998.9999999999998 as a float.
    expect(parseMoney("19.99", "EUR")?.amountMinor).toBe(1_999);
    const round = parseMoney("123456.78", "INR")!;
    expect(formatMoney(round)).toContain("456.78");
  });

  it("refuses what is not a plain amount in that currency", () => {
    for (const text of ["", "abc", "-5", "1,000", "1.2.3", "249.505", "1e3", ".5"])
      expect(parseMoney(text, "INR")).toBeNull();
    expect(parseMoney("1500.5", "JPY")).toBeNull();
  });
});
