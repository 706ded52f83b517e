import { describe, expect, it } from "vitest";
import { newerLevels } from "../../web/src/pages/vendor/StockCount";
import type { StockLevels } from "../../web/src/types";

const levels = (skuId: string, version: number, available: number): StockLevels => ({
  skuId,
  version,
  warehouses: [{ warehouseId: "wh_1", onHand: 5, available, held: 5 - available, committed: 0, version: 1 }],
  totals: { onHand: 5, available, held: 5 - available, committed: 0 },
});

describe("the stock count page's levels", () => {
  it("keep a newer snapshot over an older one that lands after it, whatever brought either", () => {
    const event = { data: levels("sku_1", 8, 2), at: new Date("2026-11-29T10:00:05Z") };
    const lateRead = { data: levels("sku_1", 7, 3), at: new Date("2026-11-29T10:00:06Z") };
    expect(newerLevels(event, lateRead)).toBe(event);
    // Newer, or the same snapshot seen later: shown.
    const newer = { data: levels("sku_1", 9, 1), at: new Date("2026-11-29T10:00:07Z") };
    expect(newerLevels(event, newer)).toBe(newer);
    const same = { data: levels("sku_1", 8, 2), at: new Date("2026-11-29T10:00:08Z") };
    expect(newerLevels(event, same)).toBe(same);
    // Another SKU's levels, or nothing shown yet: shown whatever the versions.
    const other = { data: levels("sku_2", 1, 5), at: new Date("2026-11-29T10:00:09Z") };
    expect(newerLevels(event, other)).toBe(other);
    expect(newerLevels(null, lateRead)).toBe(lateRead);
  });

  it("show a count's own answer, which has no version, and whatever comes after it", () => {
    const event = { data: levels("sku_1", 8, 2), at: new Date("2026-11-29T10:00:05Z") };
    const { version: _, ...unversioned } = levels("sku_1", 0, 4);
    const saved = { data: unversioned, at: new Date("2026-11-29T10:00:06Z") };
    expect(newerLevels(event, saved)).toBe(saved);
    const itsEvent = { data: levels("sku_1", 9, 4), at: new Date("2026-11-29T10:00:06Z") };
    expect(newerLevels(saved, itsEvent)).toBe(itsEvent);
  });
});
