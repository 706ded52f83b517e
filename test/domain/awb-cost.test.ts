import { describe, expect, it } from "vitest";
import { type AwbFormat, checkAwb, checkAwbFormat } from "../../src/domain/awb";

/** Whether an admin may save the pattern (its example is whatever it accepts or not: only the pattern is judged). */
const saves = (awbPattern: string) =>
  !checkAwbFormat({ name: "X", awbPattern, awbExample: "" }).some((e) => e.path === "awbPattern");

describe("an AWB pattern's cost", () => {
  it("refuses a repeated group holding a quantifier or |, whose failing match takes exponential time", () => {
    for (const pattern of ["(\\d+)+X", "(a?){20}", "((\\d+))*", "(?:1|11)+", "(\\d{1,3}-){2}X"]) {
      expect({ pattern, ok: saves(pattern) }).toEqual({ pattern, ok: false });
    }
    expect(checkAwbFormat({ name: "Evil", awbPattern: "(\\d+)+X", awbExample: "1X" })).toEqual([
      { path: "awbPattern", message: "too costly to match: a repeated group may not hold |, *, +, ? or {m,n}" },
    ]);
  });

  it("refuses more than four choices in all, which blow up without any nesting", () => {
    expect(saves("(1|1)".repeat(24))).toBe(false);
    expect(saves(`${"\\d*".repeat(7)}X`)).toBe(false);
    expect(saves(`${"\\d?".repeat(5)}`)).toBe(false);
  });

  it("keeps the carriers' patterns and plain ones like them", () => {
    const plain = [
      "^[0-9]{13,14}$",
      "^[0-9]{11}$",
      "^[A-Z][0-9]{8}$",
      "^[0-9]{9,12}$",
      "^[A-Za-z0-9-]{6,30}$",
      "^(?:[0-9]{11}|[A-Z]{2}[0-9]{9}IN)$",
      "^(\\d{3}-){2}\\d{4}$",
      "^\\(?[A-Z]{2}\\)?[0-9]+$",
      "[(|*+?]{10}",
      "a|b",
    ];
    for (const pattern of plain) expect({ pattern, ok: saves(pattern) }).toEqual({ pattern, ok: true });
  });

  it("still checks AWBs at dispatch with a pattern saved before the rule, so its carrier's vendors can dispatch", () => {
    const before: AwbFormat = { name: "Old", awbPattern: "A|B|C|D|E|F\\d{3}", awbExample: "F123" };
    expect(saves(before.awbPattern)).toBe(false);
    expect(checkAwb(before, "F123")).toBeNull();
    expect(checkAwb(before, "G123")).toMatch(/must match/);
  });
});
