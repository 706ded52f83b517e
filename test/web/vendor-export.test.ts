import { describe, expect, it } from "vitest";
import { OrderExportQuery } from "../../src/contracts/exports";
import { exportRange } from "../../web/src/pages/vendor/VendorApp";

describe("the vendor app's order export", () => {
  it("narrows the file to the dates picked, as whole-second instants the export route takes", () => {
    const from = "2026-11-01T00:00";
    const to = "2026-11-15T23:59";
    const range = exportRange(from, to);
    expect(range).toEqual({
      from: new Date(from).toISOString().replace(/\.\d{3}Z$/, "Z"),
      to: new Date(to).toISOString().replace(/\.\d{3}Z$/, "Z"),
    });
    // What ExportButtons sends is what GET /v1/orders/export accepts, the dates kept.
    const parsed = OrderExportQuery.safeParse({ format: "pdf", ...range });
    expect(parsed.success && [parsed.data.from, parsed.data.to]).toEqual([range.from, range.to]);
  });

  it("leaves a blank or unreadable end out: no bound on that side", () => {
    expect(exportRange("", "")).toEqual({});
    expect(exportRange("2026-11-01T00:00", "")).toEqual({
      from: new Date("2026-11-01T00:00").toISOString().replace(/\.\d{3}Z$/, "Z"),
    });
    expect(exportRange("not a date", "")).toEqual({});
  });
});
