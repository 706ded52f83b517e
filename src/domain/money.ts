/** Money math in integer minor units; no float ever touches an amount. */

/** The one rounding rule for fees: basis points of an amount, half up. */
export function basisPointsOf(amountMinor: number, bps: number): number {
  if (!Number.isSafeInteger(amountMinor) || !Number.isInteger(bps)) throw new RangeError("integers only");
  return Math.floor((amountMinor * bps + 5_000) / 10_000);
}

export function sumMinor(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  if (!Number.isSafeInteger(total)) throw new RangeError("amount overflow");
  return total;
}
