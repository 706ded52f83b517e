import { describe, expect, it } from "vitest";
import { type SubOrderStatus, subOrderStatuses } from "../../src/contracts/order-status";
import { checkAwb, checkAwbFormat, compileAwbPattern } from "../../src/domain/awb";
import {
  acceptsMilestone,
  allowedFrom,
  fulfillmentActions,
  transition,
  transitions,
} from "../../src/domain/sub-order-lifecycle";

describe("the sub-order transition table", () => {
  it("walks the happy path one step at a time", () => {
    const path: [SubOrderStatus, (typeof fulfillmentActions)[number], SubOrderStatus][] = [
      ["paid", "confirm", "confirmed"],
      ["confirmed", "pack", "packed"],
      ["packed", "dispatch", "dispatched"],
      ["dispatched", "deliver", "delivered"],
      ["delivered", "return", "returned"],
    ];
    for (const [from, action, to] of path) expect(transition(from, action)).toEqual({ ok: true, to, repeat: false });
  });

  it("allows cancelling from every status before dispatch, and never after", () => {
    for (const s of ["paid", "confirmed", "packed"] as const) {
      expect(transition(s, "cancel")).toEqual({ ok: true, to: "cancelled", repeat: false });
    }
    for (const s of ["dispatched", "delivered", "returned"] as const) expect(transition(s, "cancel").ok).toBe(false);
  });

  it("leaves an unpaid sub-order to its whole order: no sub-order action applies", () => {
    expect(allowedFrom("pending_payment")).toEqual([]);
    expect(transition("pending_payment", "cancel")).toEqual({ ok: false, allowed: [] });
  });

  it("answers the allowed actions of the current status on an illegal move", () => {
    const expected: Record<SubOrderStatus, string[]> = {
      pending_payment: [],
      paid: ["confirm", "cancel"],
      confirmed: ["pack", "cancel"],
      packed: ["dispatch", "cancel"],
      dispatched: ["deliver", "undelivered", "milestone"],
      delivered: ["return"],
      cancelled: [],
      returned: [],
    };
    for (const s of subOrderStatuses) {
      expect(allowedFrom(s)).toEqual(expected[s]);
      for (const a of fulfillmentActions) {
        const t = transition(s, a);
        if (transitions[a].from.includes(s)) expect(t).toMatchObject({ ok: true, repeat: false });
        else if (transitions[a].to === s) expect(t).toEqual({ ok: true, to: s, repeat: true });
        else expect(t).toEqual({ ok: false, allowed: expected[s] });
      }
    }
  });

  it("treats repeating the step already taken as a repeat, not a move", () => {
    expect(transition("confirmed", "confirm")).toEqual({ ok: true, to: "confirmed", repeat: true });
    expect(transition("cancelled", "cancel")).toEqual({ ok: true, to: "cancelled", repeat: true });
    expect(transition("packed", "confirm")).toEqual({ ok: false, allowed: ["dispatch", "cancel"] });
  });

  it("takes tracking milestones only while dispatched", () => {
    expect(subOrderStatuses.filter(acceptsMilestone)).toEqual(["dispatched"]);
  });
});

describe("AWB formats", () => {
  const delhivery = { name: "Delhivery", awbPattern: "^[0-9]{13,14}$", awbExample: "1234567890123" };

  it("matches the whole AWB, anchored or not", () => {
    expect(checkAwb(delhivery, "1234567890123")).toBeNull();
    expect(checkAwb(delhivery, "123")).toMatch(/must match/);
    const loose = { name: "Loose", awbPattern: "[0-9]{3}", awbExample: "123" };
    expect(checkAwb(loose, "123")).toBeNull();
    expect(checkAwb(loose, "x123y")).not.toBeNull();
    expect(checkAwb({ ...loose, awbPattern: "a|b" }, "ab")).not.toBeNull();
  });

  it("refuses a pattern that does not compile or does not match its example", () => {
    expect(compileAwbPattern("([0-9]").ok).toBe(false);
    expect(compileAwbPattern("x".repeat(201)).ok).toBe(false);
    expect(checkAwbFormat({ ...delhivery, awbPattern: "([" })[0]?.path).toBe("awbPattern");
    expect(checkAwbFormat({ ...delhivery, awbExample: "ABC" })[0]?.path).toBe("awbExample");
    expect(checkAwbFormat(delhivery)).toEqual([]);
    expect(checkAwb({ ...delhivery, awbPattern: "([" }, "1")).toMatch(/no usable AWB pattern/);
  });
});
