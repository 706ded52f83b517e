import { type DependencyList, useCallback, useEffect, useState } from "react";

export type Loadable<T> = {
  data: T | null;
  error: unknown;
  loading: boolean;
  /** When the data on screen was fetched: figures are stamped so stale ones never pass for fresh. */
  loadedAt: Date | null;
  reload: () => void;
};

/** Runs `load` when `deps` change (or on reload); a newer run aborts the older one. `null` skips. */
export function useApi<T>(load: ((signal: AbortSignal) => Promise<T>) | null, deps: DependencyList): Loadable<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean; loadedAt: Date | null }>({
    data: null,
    error: null,
    loading: load !== null,
    loadedAt: null,
  });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps stand for `load`.
  useEffect(() => {
    if (!load) {
      setState({ data: null, error: null, loading: false, loadedAt: null });
      return;
    }
    const ctrl = new AbortController();
    setState((s) => ({ ...s, loading: true, error: null }));
    load(ctrl.signal).then(
      (data) => {
        if (!ctrl.signal.aborted) setState({ data, error: null, loading: false, loadedAt: new Date() });
      },
      (error) => {
        if (!ctrl.signal.aborted) setState((s) => ({ ...s, error, loading: false }));
      },
    );
    return () => ctrl.abort();
  }, [...deps, tick]);

  return { ...state, reload };
}
