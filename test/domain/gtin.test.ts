import { describe, expect, it } from "vitest";
import { isGtin } from "../../src/domain/gtin";

describe("GTIN check digit", () => {
  it("accepts GTIN-8, UPC-A, EAN-13 and GTIN-14 with their check digits", () => {
    for (const code of ["96385074", "036000291452", "4006381333931", "8901234567890", "10012345678902"]) {
      expect(isGtin(code), code).toBe(true);
    }
  });
  it("refuses a wrong check digit, other lengths and anything but digits", () => {
    for (const code of ["8901234567891", "4006381333932", "1234567", "12345678901", "ABC4567890123", ""]) {
      expect(isGtin(code), code).toBe(false);
    }
  });
});
