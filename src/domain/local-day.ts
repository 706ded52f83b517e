/**
 * Calendar days in a time zone, for the analytics roll-ups. A day is "YYYY-MM-DD"; its span in UTC
 * is found through Intl, so a zone with daylight saving gets its 23- and 25-hour days right.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's wall clock at `ms`, read as if it were UTC: its difference from `ms` is the offset. */
function wallClockMs(ms: number, timeZone: string): number {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(ms)
      .map((p) => [p.type, p.value]),
  );
  return Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!);
}

/** The day an instant falls on in the zone. */
export function localDay(at: Date | string | number, timeZone: string): string {
  const ms = typeof at === "object" ? at.getTime() : typeof at === "string" ? Date.parse(at) : at;
  return new Date(wallClockMs(ms, timeZone)).toISOString().slice(0, 10);
}

/** The UTC instant at which the day starts in the zone: its first second whose local day is `day` (or later). */
export function dayStart(day: string, timeZone: string): Date {
  const midnight = Date.parse(`${day}T00:00:00Z`);
  const reached = (ms: number) => localDay(ms, timeZone) >= day;
  // Twice: the offset at a first guess may differ from the offset at the true start across a change.
  let start = midnight - (wallClockMs(midnight, timeZone) - midnight);
  start = midnight - (wallClockMs(start, timeZone) - start);
  if (reached(start) && !reached(start - 1000)) return new Date(start);
  // Clocks changed at midnight itself: it was skipped (Santiago, Havana: 00:00 became 01:00, so the
  // guess is still the day before) or came twice (Amman: 01:00 went back to 00:00, so the guess is
  // the second midnight). The day's first second then lies between the zone's widest offsets
  // (UTC-12 to UTC+14) either side of midnight, found by halving, as local days only move forward.
  let lo = (midnight - 15 * 3_600_000) / 1000;
  let hi = (midnight + 13 * 3_600_000) / 1000;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (reached(mid * 1000)) hi = mid;
    else lo = mid;
  }
  return new Date(hi * 1000);
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Every day from `from` to `to`, both included. Counted in milliseconds, not compared as text: the
 * day after 9999-12-31 has no YYYY-MM-DD form, and as text a loop over days would never pass it.
 */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  const last = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= last; t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}
