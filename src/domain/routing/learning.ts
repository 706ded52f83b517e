import {
  DEFAULT_VENDOR_SCORE,
  type FactorScores,
  factorNames,
  MAX_FACTOR_WEIGHT,
  MIN_FACTOR_WEIGHT,
  normalizeWeights,
  type RoutingWeights,
  type VendorScore,
} from "./weights";

/** What became of one sub-order, as far as the vendor is concerned. */
export type Outcome = {
  vendorId: string;
  /** Hours from the SLA clock's start to dispatch; null if not dispatched. */
  dispatchHours: number | null;
  /** Dispatched by its SLA deadline; null if not dispatched. */
  dispatchedOnTime: boolean | null;
  /** Delivered by the promised date; null if not delivered or nothing was promised. */
  deliveredOnTime: boolean | null;
  /** Cancelled by the SLA watcher for missing its deadline. */
  breached: boolean;
  /** Cancelled by the vendor itself. */
  vendorCancelled: boolean;
  /** The factor scores routing gave this vendor's warehouse when it chose it, if recorded. */
  scores?: FactorScores;
};

/** Prior outcomes a vendor's score is shrunk towards: a few real ones move it, many decide it. */
export const PRIOR_WEIGHT = 5;
const LEARNING_RATE = 0.1;
const MAX_STEP = 0.02;
const MIN_GROUP = 3;

const decided = (o: Outcome) => o.dispatchedOnTime !== null || o.breached || o.vendorCancelled;
/** A parcel the shopper got as promised: dispatched in time and, if delivered, not late. */
const good = (o: Outcome) => o.dispatchedOnTime === true && o.deliveredOnTime !== false;

/**
 * What a vendor's decided outcomes add up to (outcomes with nothing decided yet left out):
 * `dispatchHours` sums the dispatch times of the `dispatches` among them that have one.
 */
export type OutcomeTotals = {
  decided: number;
  good: number;
  breached: number;
  vendorCancelled: number;
  dispatchHours: number;
  dispatches: number;
};

/**
 * A vendor's score from its recent outcomes' totals, each rate and the dispatch time shrunk towards
 * `prior` by PRIOR_WEIGHT pseudo-outcomes. Null when none is decided yet (keep the score it has).
 * Totals, so the database can sum a window of any size (`fitVendorScore` for a list in hand).
 */
export function scoreOfTotals(t: OutcomeTotals, prior: VendorScore = DEFAULT_VENDOR_SCORE): VendorScore | null {
  const n = t.decided;
  if (n === 0) return null;
  const rate = (priorBps: number, hits: number) =>
    Math.round((((PRIOR_WEIGHT * priorBps) / 10_000 + hits) / (PRIOR_WEIGHT + n)) * 10_000);
  const avg = (PRIOR_WEIGHT * prior.avgDispatchHours + t.dispatchHours) / (PRIOR_WEIGHT + t.dispatches);
  return {
    avgDispatchHours: Math.round(avg * 100) / 100,
    onTimeRateBps: rate(prior.onTimeRateBps, t.good),
    breachRateBps: rate(prior.breachRateBps, t.breached),
    cancelRateBps: rate(prior.cancelRateBps, t.vendorCancelled),
    sampleSize: n,
  };
}

/** `scoreOfTotals` of a list of outcomes. */
export function fitVendorScore(
  outcomes: readonly Outcome[],
  prior: VendorScore = DEFAULT_VENDOR_SCORE,
): VendorScore | null {
  const done = outcomes.filter(decided);
  const hours = done.flatMap((o) => (o.dispatchHours === null ? [] : [Math.max(0, o.dispatchHours)]));
  return scoreOfTotals(
    {
      decided: done.length,
      good: done.filter(good).length,
      breached: done.filter((o) => o.breached).length,
      vendorCancelled: done.filter((o) => o.vendorCancelled).length,
      dispatchHours: hours.reduce((sum, h) => sum + h, 0),
      dispatches: hours.length,
    },
    prior,
  );
}

export type WeightChange = { factor: (typeof factorNames)[number]; from: number; to: number; separation: number };

/**
 * Nudges the factor weights towards the factors that told good parcels from bad ones: for each
 * factor, the mean score routing gave the chosen warehouses of on-time parcels minus that of late,
 * breached or cancelled ones, times a small rate, each step capped, every weight kept within
 * bounds and the sum at 1. Needs a few of each kind, else nothing moves.
 */
export function nudgeWeights(
  current: RoutingWeights,
  outcomes: readonly Outcome[],
): { weights: RoutingWeights; changes: WeightChange[] } {
  const scored = outcomes.filter((o) => o.scores && decided(o));
  const ok = scored.filter(good);
  const bad = scored.filter((o) => !good(o));
  if (ok.length < MIN_GROUP || bad.length < MIN_GROUP) return { weights: current, changes: [] };
  const mean = (xs: Outcome[], f: (typeof factorNames)[number]) => xs.reduce((s, o) => s + o.scores![f], 0) / xs.length;
  const next = { ...current };
  const separation = {} as Record<(typeof factorNames)[number], number>;
  for (const f of factorNames) {
    separation[f] = Math.round((mean(ok, f) - mean(bad, f)) * 10_000) / 10_000;
    const step = Math.max(-MAX_STEP, Math.min(MAX_STEP, LEARNING_RATE * separation[f]));
    next[f] = Math.max(MIN_FACTOR_WEIGHT, Math.min(MAX_FACTOR_WEIGHT, current[f] + step));
  }
  const weights = normalizeWeights(next);
  const changes = factorNames
    .filter((f) => Math.abs(weights[f] - current[f]) >= 0.0005)
    .map((f) => ({ factor: f, from: current[f], to: weights[f], separation: separation[f] }));
  return changes.length > 0 ? { weights, changes } : { weights: current, changes: [] };
}
