import { afterEach, describe, expect, it } from "vitest";
import { holdExpired, recordServerDate, watchHold } from "../../web/src/hold-expiry";

/**
 * A laptop's two clocks: the wall clock (`Date.now`) goes on while it sleeps, the page's timers
 * do not (they run as if the sleep never happened).
 */
function laptop(start: number) {
  let wall = start;
  let timerTime = 0;
  const intervals = new Map<number, { every: number; next: number; run: () => void }>();
  let last = 0;
  return {
    now: () => wall,
    timers: {
      setInterval: (run: () => void, every: number) => {
        intervals.set(++last, { every, next: timerTime + every, run });
        return last;
      },
      clearInterval: (handle: never) => {
        intervals.delete(handle as number);
      },
    },
    running: () => intervals.size,
    sleep(ms: number) {
      wall += ms;
    },
    advance(ms: number) {
      for (let t = 0; t < ms; t += 100) {
        wall += 100;
        timerTime += 100;
        for (const [handle, i] of [...intervals]) {
          if (i.next > timerTime || !intervals.has(handle)) continue;
          i.next += i.every;
          i.run();
        }
      }
    },
  };
}

describe("My orders' Pay after the hold expires", () => {
  const holdExpiresAt = "2026-11-29T12:15:00Z";

  it("goes within a second of waking from a sleep that outlasted the hold", () => {
    const clock = laptop(Date.parse("2026-11-29T12:05:00Z"));
    let expired = 0;
    watchHold(holdExpiresAt, () => expired++, clock.now, clock.timers);
    clock.advance(60_000);
    expect(expired).toBe(0);
    // The lid closed at 12:06 and opened at 12:26: the hold expired while it slept.
    clock.sleep(20 * 60_000);
    clock.advance(1_000);
    expect(expired).toBe(1);
    expect(clock.running()).toBe(0);
  });

  it("is gone at once for a hold already expired, and stops ticking when the page leaves", () => {
    const clock = laptop(Date.parse("2026-11-29T12:15:00Z"));
    let expired = 0;
    watchHold(holdExpiresAt, () => expired++, clock.now, clock.timers);
    expect(expired).toBe(1);
    expect(clock.running()).toBe(0);

    const early = laptop(Date.parse("2026-11-29T12:00:00Z"));
    const stop = watchHold(holdExpiresAt, () => expired++, early.now, early.timers);
    expect(early.running()).toBe(1);
    stop();
    expect(early.running()).toBe(0);
  });
});

describe("A hold's expiry on a phone whose clock is off", () => {
  const serverDate = "Sun, 29 Nov 2026 12:00:00 GMT";
  const holdExpiresAt = "2026-11-29T12:15:00Z";
  const server = Date.parse(serverDate);
  afterEach(() => recordServerDate(serverDate, server));

  it("stands for its 15 minutes on a clock 20 minutes fast", () => {
    const phone = laptop(server + 20 * 60_000);
    recordServerDate(serverDate, phone.now());
    expect(holdExpired(holdExpiresAt, phone.now())).toBe(false);
    let expired = 0;
    watchHold(holdExpiresAt, () => expired++, phone.now, phone.timers);
    phone.advance(14 * 60_000);
    expect(expired).toBe(0);
    phone.advance(61_000);
    expect(expired).toBe(1);
  });

  it("is gone once past on a clock 10 minutes slow", () => {
    const phone = laptop(server - 10 * 60_000);
    recordServerDate(serverDate, phone.now());
    expect(holdExpired(holdExpiresAt, phone.now() + 14 * 60_000)).toBe(false);
    expect(holdExpired(holdExpiresAt, phone.now() + 15 * 60_000)).toBe(true);
    let expired = 0;
    watchHold(holdExpiresAt, () => expired++, phone.now, phone.timers);
    phone.advance(15 * 60_000);
    expect(expired).toBe(1);
  });

  it("keeps the last clock when an answer has no Date", () => {
    recordServerDate(serverDate, server + 20 * 60_000);
    recordServerDate(null, server);
    expect(holdExpired(holdExpiresAt, server + 20 * 60_000)).toBe(false);
  });
});
