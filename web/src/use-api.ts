import { type DependencyList, useCallback, useEffect, useRef, useState } from "react";

export type Loadable<T> = {
  data: T | null;
  error: unknown;
  loading: boolean;
  /** When the data on screen was fetched: figures are stamped so stale ones never pass for fresh. */
  loadedAt: Date | null;
  reload: () => void;
};

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
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean; loadedAt: Date | null }>({
    data: null,
    error: null,
    loading: load !== null,
    loadedAt: null,
  });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const latest = useRef(load);
  latest.current = load;
  // `identity` counts what is read; `started` and `shown` order the reads of one identity.
  const runs = useRef({ identity: 0, started: 0, shown: 0, inFlight: new Set<AbortController>() });

  const start = useCallback(() => {
    const r = runs.current;
    const read = latest.current;
    if (!read) {
      setState({ data: null, error: null, loading: false, loadedAt: null });
      return;
    }
    const identity = r.identity;
    const seq = ++r.started;
    const ctrl = new AbortController();
    r.inFlight.add(ctrl);
    setState((s) => ({ ...s, loading: true, error: null }));
    const settle = (next: (s: typeof state) => typeof state) => {
      r.inFlight.delete(ctrl);
      if (ctrl.signal.aborted || identity !== r.identity || seq < r.shown) return;
      r.shown = seq;
      setState(next);
    };
    read(ctrl.signal).then(
      (data) => settle(() => ({ data, error: null, loading: r.inFlight.size > 0, loadedAt: new Date() })),
      (error) => settle((s) => ({ ...s, error, loading: r.inFlight.size > 0 })),
    );
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps stand for `load`.
  useEffect(() => {
    const r = runs.current;
    r.identity += 1;
    r.shown = 0;
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

  return { ...state, reload };
}
