/** Money math in integer minor units; no float ever touches an amount. */

/** The one rounding rule for fees: basis points of an amount, half up. */
export function basisPointsOf(amountMinor: number, bps: number): number {
  if (!Number.isSafeInteger(amountMinor) || !Number.isInteger(bps)) throw new RangeError("integers only");
  return Math.floor((amountMinor * bps + 5_000) / 10_000);
}

const digitsByCurrency = new Map<string, number>();

/** How many digits a currency's minor unit has: 2 for INR, 0 for JPY, 3 for KWD (as Intl knows it). */
export function minorDigits(currency: string): number {
  let d = digitsByCurrency.get(currency);
  if (d === undefined) {
    d = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsByCurrency.set(currency, d);
  }
  return d;
}

export function sumMinor(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  if (!Number.isSafeInteger(total)) throw new RangeError("amount overflow");
  return total;
}
