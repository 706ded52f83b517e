import { describe, expect, it } from "vitest";
import { readForOther } from "../../web/src/use-api";

describe("data read for a list's deps", () => {
  it("is for other deps once a filter changes, and for the same while only refreshed", () => {
    const paid = ["token", JSON.stringify({ status: "paid" }), null];
    const pending = ["token", JSON.stringify({ status: "pending_payment" }), null];
    // Switched from "paid" to "pending payment": the paid rows answer nothing on screen now.
    expect(readForOther(paid, pending)).toBe(true);
    // The same filter read again (a live tick, a reload): its rows stand.
    expect(readForOther(paid, ["token", JSON.stringify({ status: "paid" }), null])).toBe(false);
    // Another page of the same filter, or nothing read yet.
    expect(readForOther(paid, ["token", JSON.stringify({ status: "paid" }), "c1"])).toBe(true);
    expect(readForOther(null, paid)).toBe(true);
  });
});
