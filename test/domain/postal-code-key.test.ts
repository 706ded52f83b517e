import { describe, expect, it } from "vitest";
import { postalCodeKey } from "../../src/domain/geo";
import { readPostalCodeCsv } from "../../src/domain/postal-codes";

describe("postalCodeKey", () => {
  it("drops spaces and dashes and upper-cases", () => {
    expect(postalCodeKey(" 560 034 ")).toBe("560034");
    expect(postalCodeKey("560-034")).toBe("560034");
    expect(postalCodeKey("sw1a\u00a01aa")).toBe("SW1A1AA");
    expect(postalCodeKey("560\u2013034")).toBe("560034");
  });

  it("reads every script's decimal digits as ASCII digits", () => {
    expect(postalCodeKey("५६००३४")).toBe("560034"); // Devanagari
    expect(postalCodeKey("৫৬০০৩৪")).toBe("560034"); // Bengali
    expect(postalCodeKey("٥٦٠٠٣٤")).toBe("560034"); // Arabic-Indic
    expect(postalCodeKey("５６０ ０３４")).toBe("560034"); // full width
    expect(postalCodeKey("\u{1D7D3}\u{1D7D4}\u{1D7CE}")).toBe("560"); // mathematical bold
    expect(postalCodeKey("௫௬௦௦௩௪")).toBe("560034"); // Tamil
  });
});

describe("readPostalCodeCsv with spellings of one code", () => {
  it("takes non-ASCII digits and refuses a second spelling of a code already read", () => {
    const r = readPostalCodeCsv("country,code,lat,lng\nIN,५६००३४,12.93,77.62\nIN,560-034,1,1\nIN,560/035,1,1\n");
    if (!r.ok) throw new Error(r.message);
    expect(r.rows).toEqual([{ country: "IN", code: "५६००३४", lat: 12.93, lng: 77.62, place: null }]);
    expect(r.rejected).toEqual([
      { line: 3, message: "IN 560034 already appears on line 2" },
      { line: 4, message: expect.stringMatching(/^code must be/) },
    ]);
  });
});
