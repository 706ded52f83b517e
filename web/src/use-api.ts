import { type DependencyList, useCallback, useEffect, useRef, useState } from "react";
import { ApiProblem } from "./api";

export type Loadable<T> = {
  data: T | null;
  error: unknown;
  loading: boolean;
  /** When the data on screen was fetched: figures are stamped so stale ones never pass for fresh. */
  loadedAt: Date | null;
  /**
   * `data` was read for other deps (a filter changed, its read is on its way or failed): it is not
   * what the screen now asks for, so nothing may be shown as its answer or acted on from it. Kept
   * rather than cleared so a list grown by "Show more" stays in place while its longer read runs.
   */
  stale: boolean;
  reload: () => void;
};

/** Whether data read for `readFor` answers what `deps` ask: not once any of them changed. */
export function readForOther(readFor: DependencyList | null, deps: DependencyList): boolean {
  return readFor === null || readFor.length !== deps.length || readFor.some((d, i) => !Object.is(d, deps[i]));
}

/**
 * Which answers of one thing read again and again may be shown: each, unless one started later was
 * shown already, or what is read has changed since it started (`renew`).
 */
export class LatestReads {
  private identity = 0;
  private started = 0;
  private shown = 0;

  /** What is read changed: answers to reads started before are for something else. */
  renew(): void {
    this.identity += 1;
    this.shown = 0;
  }

  begin(): { identity: number; seq: number } {
    return { identity: this.identity, seq: ++this.started };
  }

  /** Whether `read`'s answer is shown; if so, answers to reads started before it no longer are. */
  lands(read: { identity: number; seq: number }): boolean {
    if (read.identity !== this.identity || read.seq < this.shown) return false;
    this.shown = read.seq;
    return true;
  }
}

/**
 * Runs `load` when `deps` change (or on reload): what is read changed, so a read still in flight is
 * aborted. `refresh` changing (a live feed's tick) reads the same thing again without aborting the
 * read in flight: each answer is shown unless a later-started one is shown already, so figures
 * keep landing however fast the ticks come and however slow the reads are. `null` skips.
 */
export function useApi<T>(
  load: ((signal: AbortSignal) => Promise<T>) | null,
  deps: DependencyList,
  refresh: unknown = null,
): Loadable<T> {
  const [state, setState] = useState<{
    data: T | null;
    error: unknown;
    loading: boolean;
    loadedAt: Date | null;
    readFor: DependencyList | null;
  }>({ data: null, error: null, loading: load !== null, loadedAt: null, readFor: null });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const latest = useRef(load);
  latest.current = load;
  const asked = useRef(deps);
  asked.current = deps;
  const runs = useRef({ reads: new LatestReads(), inFlight: new Set<AbortController>() });

  const start = useCallback(() => {
    const r = runs.current;
    const read = latest.current;
    if (!read) {
      setState({ data: null, error: null, loading: false, loadedAt: null, readFor: asked.current });
      return;
    }
    const run = r.reads.begin();
    const readFor = asked.current;
    const ctrl = new AbortController();
    r.inFlight.add(ctrl);
    setState((s) => ({ ...s, loading: true, error: null }));
    const settle = (next: (s: typeof state) => typeof state) => {
      r.inFlight.delete(ctrl);
      if (!ctrl.signal.aborted && r.reads.lands(run)) setState(next);
    };
    read(ctrl.signal).then(
      (data) => settle(() => ({ data, error: null, loading: r.inFlight.size > 0, loadedAt: new Date(), readFor })),
      (error) => settle((s) => ({ ...s, error, loading: r.inFlight.size > 0 })),
    );
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps stand for `load`.
  useEffect(() => {
    const r = runs.current;
    r.reads.renew();
    start();
    return () => {
      for (const ctrl of r.inFlight) ctrl.abort();
      r.inFlight.clear();
    };
  }, [...deps, tick]);

  const refreshed = useRef(refresh);
  useEffect(() => {
    if (Object.is(refreshed.current, refresh)) return;
    refreshed.current = refresh;
    start();
  }, [refresh, start]);

  const { readFor, ...shown } = state;
  return { ...shown, stale: state.data !== null && readForOther(readFor, deps), reload };
}

const RETRY_BASE_MS = 1_000;
const RETRY_CAP_MS = 30_000;

/**
 * When to read again something whose read failed with nothing to show: after a random wait under a
 * ceiling doubling from 1 s to 30 s per failure in a row (full jitter, so a server back from a blip
 * is not met by every page at once). Only while the API could not be reached, timed out, limited
 * the rate or failed (5xx): a refusal stands however often it is asked, and a page's own bug too.
 */
export class RetryWaits {
  private failures = 0;

  constructor(private readonly random: () => number = Math.random) {}

  /** The wait before reading again after `error`, or null: not again. */
  failed(error: unknown): number | null {
    const passing =
      error instanceof ApiProblem && (error.status === 0 || [408, 429].includes(error.status) || error.status >= 500);
    if (!passing) {
      this.failures = 0;
      return null;
    }
    this.failures += 1;
    return this.random() * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** (this.failures - 1));
  }

  loaded(): void {
    this.failures = 0;
  }
}

/**
 * Reads `read` again while it failed with nothing to show and the failure may pass (see
 * `RetryWaits`): after a backoff, and at once when the browser is back online. A page whose other
 * reads and live feed hang on it (whose vendor or customer a token is) would otherwise stay blank,
 * and off its feed, until reloaded by hand. True from such a failure until a read lands.
 */
export function useReadUntilLoaded(read: Loadable<unknown>): boolean {
  const { data, error, reload } = read;
  const [waits] = useState(() => new RetryWaits());
  const [retrying, setRetrying] = useState(false);
  useEffect(() => {
    if (data !== null) {
      waits.loaded();
      setRetrying(false);
      return;
    }
    // A read on its way: its answer decides.
    if (error === null) return;
    const wait = waits.failed(error);
    setRetrying(wait !== null);
    if (wait === null) return;
    const timer = setTimeout(reload, wait);
    return () => clearTimeout(timer);
  }, [data, error, reload, waits]);
  useEffect(() => {
    if (!retrying) return;
    window.addEventListener("online", reload);
    return () => window.removeEventListener("online", reload);
  }, [retrying, reload]);
  return retrying;
}
