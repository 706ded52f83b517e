/** ISO-8601 UTC to the second, the only time format on the wire and in D1. */
export function isoSeconds(d: Date | number): string {
  return new Date(typeof d === "number" ? d : d.getTime()).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function addSeconds(d: Date, seconds: number): Date {
  return new Date(d.getTime() + seconds * 1000);
}

/** A Retry-After in whole seconds for a wait of `ms`: rounded up, and at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
