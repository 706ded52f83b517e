import { describe, expect, it } from "vitest";
import { creditNoteNumber, financialYearOf } from "../../src/domain/financial-year";

describe("financial years for credit-note numbering", () => {
  it("turns India's year on 1 April in IST, not in UTC", () => {
    // 31 March 18:29:59 UTC is 23:59:59 IST: still the old year; a second later it is 1 April IST.
    expect(financialYearOf(new Date("2027-03-31T18:29:59Z"))).toBe(2026);
    expect(financialYearOf(new Date("2027-03-31T18:30:00Z"))).toBe(2027);
    expect(financialYearOf(new Date("2026-11-27T05:00:00Z"))).toBe(2026);
    expect(creditNoteNumber(2026, 42)).toBe("CN/2026-27/000042");
  });

  it("follows a configured start month and zone", () => {
    const calendar = { startMonth: 1, utcOffsetMinutes: 0 };
    expect(financialYearOf(new Date("2026-12-31T23:59:59Z"), calendar)).toBe(2026);
    expect(creditNoteNumber(2027, 1, calendar)).toBe("CN/2027/000001");
    // UK-style April start, zone behind UTC: 1 April 02:00 UTC is still 31 March at UTC-05:00.
    expect(financialYearOf(new Date("2026-04-01T02:00:00Z"), { startMonth: 4, utcOffsetMinutes: -300 })).toBe(2025);
  });
});
