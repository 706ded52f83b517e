import { describe, expect, it } from "vitest";
import { Throttle } from "../../web/src/live/throttle";

/** A clock moved by hand, with the timers due by it. */
function fakeTimers() {
  let now = 0;
  let due: { at: number; run: () => void } | null = null;
  return {
    timers: {
      now: () => now,
      setTimeout: (run: () => void, ms: number) => {
        due = { at: now + ms, run };
        return due;
      },
      clearTimeout: () => {
        due = null;
      },
    },
    advance(ms: number) {
      now += ms;
      const timer = due as { at: number; run: () => void } | null;
      if (timer && timer.at <= now) {
        due = null;
        timer.run();
      }
    },
  };
}

describe("the live pages' refresh throttle", () => {
  it("reloads at once, then once a window however many events come, and never misses the last", () => {
    const clock = fakeTimers();
    let reloads = 0;
    const throttle = new Throttle(() => reloads++, 1_000, clock.timers);
    throttle.call();
    expect(reloads).toBe(1);
    // Twenty events a second for three seconds: one reload a second, not sixty.
    for (let i = 0; i < 60; i++) {
      clock.advance(50);
      throttle.call();
    }
    expect(reloads).toBe(4);
    // The last event's reload comes at its window's end.
    clock.advance(1_000);
    expect(reloads).toBe(5);
    clock.advance(5_000);
    expect(reloads).toBe(5);
    // Quiet for a window: the next event reloads at once.
    throttle.call();
    expect(reloads).toBe(6);
  });

  it("sends nothing after it is cancelled", () => {
    const clock = fakeTimers();
    let reloads = 0;
    const throttle = new Throttle(() => reloads++, 1_000, clock.timers);
    throttle.call();
    throttle.call();
    throttle.cancel();
    clock.advance(2_000);
    expect(reloads).toBe(1);
  });
});
