import { minorDigits } from "../domain/money";

/** Where amounts become decimals for a reader: exports are read by people and spreadsheets, not clients. */

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

/**
 * A moment as a person where the marketplace is reads it (`28 Nov 2026, 3:00 pm IST` in
 * Asia/Kolkata), for messages: a bare UTC time reads as local hours off the real one.
 */
export function displayTimeIn(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat("en-IN", {
    timeZone,
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZoneName: "short",
  }).format(new Date(iso));
}

/** `2026-11-22T09:00:00Z` as `2026-11-22 09:00 UTC`: exports state their times in UTC, plainly. */
export function displayTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * `2027-03-31T20:00:00Z` at +330 minutes as `2027-04-01 01:30 (UTC+05:30)`: a document whose number
 * counts by the marketplace's calendar (a credit note's financial year) is dated by that calendar too.
 */
export function displayLocalTime(iso: string, utcOffsetMinutes: number): string {
  const local = new Date(Date.parse(iso) + utcOffsetMinutes * 60_000).toISOString();
  const sign = utcOffsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(utcOffsetMinutes);
  const offset = `${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  return `${local.slice(0, 10)} ${local.slice(11, 16)} (UTC${sign}${offset})`;
}
