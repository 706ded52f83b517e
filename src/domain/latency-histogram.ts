/**
 * Times to dispatch and to delivery are kept as counts per bucket, not as samples, so a day's
 * roll-up row stays small and ranges add up by summing counts. Upper bounds in minutes, roughly
 * doubling; the last bucket is open. A percentile is interpolated linearly inside the bucket that
 * holds its rank, so its error is at most that bucket's width (README, "Analytics").
 */
export const LATENCY_BUCKET_BOUNDS_MINUTES = [
  30, 60, 120, 240, 360, 480, 720, 1080, 1440, 2160, 2880, 4320, 5760, 7200, 10080, 14400, 20160,
] as const;

/** Index of the bucket holding `minutes`: the first bound at or above it, or the open last one. */
export function bucketOf(minutes: number): number {
  const i = LATENCY_BUCKET_BOUNDS_MINUTES.findIndex((b) => minutes <= b);
  return i === -1 ? LATENCY_BUCKET_BOUNDS_MINUTES.length : i;
}

export function bucketUpperBound(bucket: number): number | null {
  return LATENCY_BUCKET_BOUNDS_MINUTES[bucket] ?? null;
}

/**
 * The `q` quantile (0 < q <= 1) of a histogram given as counts per bucket index. Inside the bucket
 * holding rank q·n the samples are taken as spread evenly between its bounds; the open last bucket
 * answers its lower bound (nothing is known above it). Null for an empty histogram.
 */
export function percentile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let bucket = 0; bucket < counts.length; bucket++) {
    const n = counts[bucket] ?? 0;
    if (n > 0 && below + n >= rank) {
      const lower = bucket === 0 ? 0 : (bucketUpperBound(bucket - 1) ?? 0);
      const upper = bucketUpperBound(bucket);
      if (upper === null) return lower;
      return Math.round(lower + ((rank - below) / n) * (upper - lower));
    }
    below += n;
  }
  return bucketUpperBound(counts.length - 2) ?? 0;
}
