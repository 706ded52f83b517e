/** Where amounts become decimals for a reader: exports are read by people and spreadsheets, not clients. */

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
