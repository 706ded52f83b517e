/**
 * Prefixed ids: readable in logs, unguessable across principals (64 random bits), and growing
 * with time, so the rows a write adds sit together at the end of each index keyed by their ids
 * instead of on a page apiece.
 */
export function newId(prefix: string): string {
  return idAt(prefix, Date.now(), crypto.getRandomValues(new BigUint64Array(1))[0]!);
}

/**
 * `prefix_`, then `ms` in 9 base-36 digits (enough until the year 5188, so ids sort by time as
 * text), then the 64 bits of `tail` in 13.
 */
export function idAt(prefix: string, ms: number, tail: bigint): string {
  return `${prefix}_${ms.toString(36).padStart(9, "0")}${tail.toString(36).padStart(13, "0")}`;
}
