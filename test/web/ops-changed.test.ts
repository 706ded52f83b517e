import { describe, expect, it } from "vitest";
import { FadingMarks } from "../../web/src/pages/ops/OpsDashboard";

/** A clock moved by hand, running the timers due by it. */
function fakeTimers() {
  let now = 0;
  const due = new Map<number, { at: number; run: () => void }>();
  let next = 0;
  return {
    timers: {
      setTimeout: (run: () => void, ms: number) => {
        due.set(++next, { at: now + ms, run });
        return next;
      },
      clearTimeout: (handle: unknown) => {
        due.delete(handle as number);
      },
    },
    pending: () => due.size,
    advance(ms: number) {
      now += ms;
      for (const [handle, timer] of [...due].sort((a, b) => a[1].at - b[1].at)) {
        if (timer.at > now) continue;
        due.delete(handle);
        timer.run();
      }
    },
  };
}

describe("the ops dashboard's just-changed highlight", () => {
  it("fades 10 s after an order's latest event, so a long sale does not end with every row marked", () => {
    const clock = fakeTimers();
    let marked = new Set<string>();
    const marks = new FadingMarks((ids) => (marked = ids), 10_000, clock.timers);
    marks.mark("ord_fade_1");
    clock.advance(4_000);
    marks.mark("ord_fade_2");
    expect([...marked]).toEqual(["ord_fade_1", "ord_fade_2"]);
    clock.advance(6_000);
    expect([...marked]).toEqual(["ord_fade_2"]);
    // Another event of a marked order: marked 10 s from this one.
    marks.mark("ord_fade_2");
    clock.advance(9_000);
    expect([...marked]).toEqual(["ord_fade_2"]);
    clock.advance(1_000);
    expect([...marked]).toEqual([]);
    expect(clock.pending()).toBe(0);
  });

  it("stops its timers when cleared (the page unmounted): nothing marked, nothing left to run", () => {
    const clock = fakeTimers();
    let marked = new Set<string>();
    const marks = new FadingMarks((ids) => (marked = ids), 10_000, clock.timers);
    marks.mark("ord_fade_3");
    marks.mark("ord_fade_4");
    marks.clear();
    expect(marked.size).toBe(0);
    expect(clock.pending()).toBe(0);
  });
});
