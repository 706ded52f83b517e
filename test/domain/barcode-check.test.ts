import { describe, expect, it } from "vitest";
import { checkScans } from "../../src/domain/barcode-check";

describe("pack verification by barcode", () => {
  const lines = [
    { barcode: "8901", qty: 2 },
    { barcode: "8902", qty: 1 },
  ];

  it("accepts exactly one scan per unit, in any order", () => {
    expect(checkScans(lines, ["8902", "8901", "8901"])).toEqual({ ok: true, missing: [], unexpected: [] });
  });

  it("reports units not scanned", () => {
    expect(checkScans(lines, ["8901"])).toEqual({
      ok: false,
      missing: [
        { barcode: "8901", qty: 1 },
        { barcode: "8902", qty: 1 },
      ],
      unexpected: [],
    });
  });

  it("reports scans that do not belong, and extra units of a line", () => {
    expect(checkScans(lines, ["8901", "8901", "8901", "8902", "7777"])).toEqual({
      ok: false,
      missing: [],
      unexpected: [
        { barcode: "8901", qty: 1 },
        { barcode: "7777", qty: 1 },
      ],
    });
  });

  it("adds up lines that share a barcode (one SKU from two warehouses)", () => {
    const split = [
      { barcode: "8901", qty: 1 },
      { barcode: "8901", qty: 2 },
    ];
    expect(checkScans(split, ["8901", "8901", "8901"]).ok).toBe(true);
    expect(checkScans(split, ["8901", "8901"]).missing).toEqual([{ barcode: "8901", qty: 1 }]);
  });

  it("refuses an empty pack of a non-empty sub-order", () => {
    expect(checkScans(lines, []).missing).toHaveLength(2);
  });
});
