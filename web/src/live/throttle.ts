import { useCallback, useEffect, useRef, useState } from "react";

type Timers = {
  now: () => number;
  setTimeout: (run: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
};

const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (run, ms) => globalThis.setTimeout(run, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Runs `run` at most once per `windowMs`: the first call at once, calls within the window as one
 * more at its end, so the last change is never missed. A feed firing many events a second would
 * otherwise restart every read on the page before any could answer.
 */
export class Throttle {
  private last = Number.NEGATIVE_INFINITY;
  private pending: unknown = null;

  constructor(
    private readonly run: () => void,
    private readonly windowMs: number,
    private readonly timers: Timers = realTimers,
  ) {}

  call(): void {
    if (this.pending !== null) return;
    // At most a window away, even if the clock was set back since the last reload.
    const wait = Math.min(this.last + this.windowMs - this.timers.now(), this.windowMs);
    if (wait <= 0) this.fire();
    else this.pending = this.timers.setTimeout(() => this.fire(), wait);
  }

  cancel(): void {
    if (this.pending !== null) this.timers.clearTimeout(this.pending);
    this.pending = null;
  }

  private fire() {
    this.pending = null;
    this.last = this.timers.now();
    this.run();
  }
}

/** A counter pages reload on, bumped by `bump` at most once a second (see `Throttle`). */
export function useThrottledTick(windowMs = 1_000): [number, () => void] {
  const [tick, setTick] = useState(0);
  const throttle = useRef<Throttle | null>(null);
  throttle.current ??= new Throttle(() => setTick((t) => t + 1), windowMs);
  useEffect(() => () => throttle.current?.cancel(), []);
  const bump = useCallback(() => throttle.current?.call(), []);
  return [tick, bump];
}
