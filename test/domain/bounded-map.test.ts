import { describe, expect, it } from "vitest";
import { setBounded } from "../../src/domain/bounded-map";

describe("a bounded cache", () => {
  it("never holds more than its bound, forgetting the entry set longest ago", () => {
    const cache = new Map<string, number>();
    for (let i = 0; i < 1_000; i++) setBounded(cache, `k${i}`, i, 100);
    expect(cache.size).toBe(100);
    expect([...cache.keys()][0]).toBe("k900");
    expect(cache.get("k999")).toBe(999);
  });

  it("counts a key set again as set now", () => {
    const cache = new Map<string, number>();
    setBounded(cache, "a", 1, 2);
    setBounded(cache, "b", 2, 2);
    setBounded(cache, "a", 3, 2);
    setBounded(cache, "c", 4, 2);
    expect([...cache]).toEqual([
      ["a", 3],
      ["c", 4],
    ]);
  });
});
