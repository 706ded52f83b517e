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

/**
 * An exact decimal in major units ("1234.50"), for CSV cells a spreadsheet sums: built from the
 * integer's digits, so no float ever rounds an amount.
 */
export function decimalAmount(amountMinor: number, currency: string): string {
  const digits = minorDigits(currency);
  const sign = amountMinor < 0 ? "-" : "";
  const text = String(Math.abs(amountMinor)).padStart(digits + 1, "0");
  return digits === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** For a person: the currency's sign and grouping (₹1,23,456.50 for INR, in the marketplace's en-IN). */
export function displayAmount(amountMinor: number, currency: string): string {
  const digits = minorDigits(currency);
  return new Intl.NumberFormat("en-IN", {
    style: "currency",
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(Number(decimalAmount(amountMinor, currency)));
}

export function sumMinor(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  if (!Number.isSafeInteger(total)) throw new RangeError("amount overflow");
  return total;
}
