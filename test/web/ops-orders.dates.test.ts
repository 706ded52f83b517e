import { describe, expect, it } from "vitest";
import { toIso } from "../../web/src/pages/ops/OpsOrders";

describe("Ops orders' date filters read from a shared link", () => {
  it("leaves out an entry the browser cannot read, instead of throwing in render", () => {
    expect(toIso("yesterday")).toBeUndefined();
    expect(toIso("2026-13-45T99:00")).toBeUndefined();
    expect(toIso("")).toBeUndefined();
    expect(toIso(undefined)).toBeUndefined();
  });

  it("gives a readable one as the whole-second UTC instant the API takes", () => {
    const local = "2026-11-29T10:15";
    expect(toIso(local)).toBe(new Date(local).toISOString().replace(/\.\d{3}Z$/, "Z"));
    expect(toIso(local)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });
});
