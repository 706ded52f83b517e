/** The factors a candidate (vendor, warehouse) is scored on, each in [0, 1], higher is better. */
export const factorNames = ["distance", "delivery", "speed", "reliability", "cost"] as const;
export type Factor = (typeof factorNames)[number];
export type FactorScores = Record<Factor, number>;

/**
 * Weights are data (the `routing_weights` table, versioned). The factor weights sum to 1;
 * `groupTolerance` is how much total score a line may give up to share a parcel with other lines;
 * `costBound` is how far above a line's cheapest option (as a fraction) a candidate is still
 * preferred before cheaper ones.
 */
export type RoutingWeights = FactorScores & { groupTolerance: number; costBound: number };

export const DEFAULT_WEIGHTS: RoutingWeights = {
  distance: 0.25,
  delivery: 0.25,
  speed: 0.15,
  reliability: 0.2,
  cost: 0.15,
  groupTolerance: 0.05,
  costBound: 0.2,
};

/** The re-fit never lets a factor vanish or dominate, so one bad hour cannot rewrite routing. */
export const MIN_FACTOR_WEIGHT = 0.05;
export const MAX_FACTOR_WEIGHT = 0.5;

/** Factor weights scaled to sum to 1 (rounded to 4 places, the remainder on the largest). */
export function normalizeWeights(w: RoutingWeights): RoutingWeights {
  const sum = factorNames.reduce((s, f) => s + Math.max(0, w[f]), 0);
  if (!(sum > 0)) return { ...DEFAULT_WEIGHTS, groupTolerance: w.groupTolerance, costBound: w.costBound };
  const out = { ...w };
  for (const f of factorNames) out[f] = Math.round((Math.max(0, w[f]) / sum) * 10_000) / 10_000;
  const drift = 1 - factorNames.reduce((s, f) => s + out[f], 0);
  const largest = [...factorNames].sort((a, b) => out[b] - out[a] || (a < b ? -1 : 1))[0]!;
  out[largest] = Math.round((out[largest] + drift) * 10_000) / 10_000;
  return out;
}

/** What a vendor's history says about it; rates in basis points as stored. */
export type VendorScore = {
  avgDispatchHours: number;
  onTimeRateBps: number;
  breachRateBps: number;
  cancelRateBps: number;
  sampleSize: number;
};

/**
 * A vendor with no history is assumed decent but not proven: the prior every re-fit shrinks
 * towards, so a handful of outcomes moves a score only part of the way.
 */
export const DEFAULT_VENDOR_SCORE: VendorScore = {
  avgDispatchHours: 12,
  onTimeRateBps: 9_000,
  breachRateBps: 300,
  cancelRateBps: 200,
  sampleSize: 0,
};
