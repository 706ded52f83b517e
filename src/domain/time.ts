/** ISO-8601 UTC to the second, the only time format on the wire and in D1. */
export function isoSeconds(d: Date | number): string {
  return new Date(typeof d === "number" ? d : d.getTime()).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function addSeconds(d: Date, seconds: number): Date {
  return new Date(d.getTime() + seconds * 1000);
}
