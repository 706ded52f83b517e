import { useEffect, useState } from "react";

/** The server's clock minus the browser's (ms), from the last answer's `Date`; 0 until one came. */
let serverClockAhead = 0;

/**
 * Records the server's clock from an answer's `Date` header, received at `receivedAt` by the
 * browser's clock. A phone's clock can be minutes off, and the hold ends by the server's. The header
 * is cut to the second: its end is taken, so a hold is never read as standing past its expiry.
 */
export function recordServerDate(date: string | null, receivedAt: number = Date.now()): void {
  const sent = date === null ? Number.NaN : Date.parse(date);
  if (Number.isFinite(sent)) serverClockAhead = sent + 999 - receivedAt;
}

/**
 * Whether an order's hold has expired by the browser's clock reading `now` (ms), put on the
 * server's clock. Its stock object releases the units then, and only the every-minute
 * `expire-holds` job cancels the payment: one taken in between is refunded with no order, so no
 * attempt may start once the clock passes the hold's expiry.
 */
export function holdExpired(holdExpiresAt: string, now: number): boolean {
  return now + serverClockAhead >= Date.parse(holdExpiresAt);
}

/** The page's timers (a test passes its own). */
export type IntervalTimers = {
  setInterval: (run: () => void, ms: number) => unknown;
  clearInterval: (handle: never) => void;
};

/**
 * Calls `expired` once the wall clock (`now`) passes the hold's expiry, re-read each second: a
 * timer set for the expiry itself runs late after a sleep (timers do not count the time asleep, the
 * wall clock does), and Pay would stay offered past it. Answers the stop.
 */
export function watchHold(
  holdExpiresAt: string,
  expired: () => void,
  now: () => number = Date.now,
  timers: IntervalTimers = globalThis,
): () => void {
  if (holdExpired(holdExpiresAt, now())) {
    expired();
    return () => {};
  }
  const handle = timers.setInterval(() => {
    if (!holdExpired(holdExpiresAt, now())) return;
    timers.clearInterval(handle as never);
    expired();
  }, 1000);
  return () => timers.clearInterval(handle as never);
}

/** `holdExpired` for the page, re-read each second while the hold stands; false while there is no hold. */
export function useHoldExpired(holdExpiresAt: string | null): boolean {
  const [expiredFor, setExpiredFor] = useState<string | null>(null);
  useEffect(() => {
    if (holdExpiresAt === null) return;
    return watchHold(holdExpiresAt, () => setExpiredFor(holdExpiresAt));
  }, [holdExpiresAt]);
  return holdExpiresAt !== null && (expiredFor === holdExpiresAt || holdExpired(holdExpiresAt, Date.now()));
}
