import { describe, expect, it } from "vitest";
import { internationalDigits } from "../../src/domain/phone";

describe("a typed phone number as a provider dials it", () => {
  it("takes the marketplace's country code where none was typed, never a foreign one from the first digits", () => {
    // Without its country code, 98450… would be dialled as +98 (Iran).
    expect(internationalDigits("98450 19999", "IN")).toBe("919845019999");
    expect(internationalDigits("098450 19999", "IN")).toBe("919845019999");
    expect(internationalDigits("+91 98450 19999", "IN")).toBe("919845019999");
    expect(internationalDigits("+1 (415) 555-2671", "IN")).toBe("14155552671");
  });

  it("is no number when it is no valid number", () => {
    expect(internationalDigits("call me", "IN")).toBeNull();
    expect(internationalDigits("12345", "IN")).toBeNull();
    expect(internationalDigits("+91 12", "IN")).toBeNull();
  });
});
