/** Where amounts become decimals for a reader: exports are read by people and spreadsheets, not clients. */

const digitsCache = new Map<string, number>();

/** The currency's own number of fraction digits (2 for INR, 0 for JPY). */
function fractionDigits(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) {
    d = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsCache.set(currency, d);
  }
  return d;
}

/**
 * An exact decimal in major units ("1234.50"), for CSV cells a spreadsheet sums: built from the
 * integer's digits, so no float ever rounds an amount.
 */
export function decimalAmount(amountMinor: number, currency: string): string {
  const digits = fractionDigits(currency);
  const sign = amountMinor < 0 ? "-" : "";
  const text = String(Math.abs(amountMinor)).padStart(digits + 1, "0");
  return digits === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** For a person: the currency's sign and grouping (₹1,23,456.50 for INR, in the marketplace's en-IN). */
export function displayAmount(amountMinor: number, currency: string): string {
  const digits = fractionDigits(currency);
  return new Intl.NumberFormat("en-IN", {
    style: "currency",
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(Number(decimalAmount(amountMinor, currency)));
}

/** `2026-11-22T09:00:00Z` as `2026-11-22 09:00 UTC`: exports state their times in UTC, plainly. */
export function displayTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
