import { setBounded } from "../domain/bounded-map";
import type { Point } from "../domain/geo";
import type { Db } from "./client";
import { findPostalCode } from "./postal-codes";

// Every checkout by postal code needs its coordinates before it may claim stock, and one that sends
// coordinates needs them to check those against; the table changes only on import, so entries are
// kept per isolate for a while, and so are codes it does not hold, for less.
const POSTAL_TTL_MS = 600_000;
const MISS_TTL_MS = 300_000;
const MAX_ENTRIES = 50_000;
const postalCache = new Map<string, { value: Point | null; until: number }>();

/**
 * A postal code's coordinates (codes normalized by the caller). `trustMiss`: a code found missing
 * a moment ago is taken as still missing, which only a caller that can do without it should ask
 * (a shopper who sent none reads the table fresh, so a code just imported works for them at once).
 */
export async function postalPoint(
  db: Db,
  country: string,
  code: string,
  opts: { trustMiss?: boolean } = {},
): Promise<Point | null> {
  const key = `${country}:${code}`;
  const hit = postalCache.get(key);
  if (hit && hit.until > Date.now() && (hit.value || opts.trustMiss)) return hit.value;
  const entry = await findPostalCode(db, country, code);
  const value = entry ? { lat: entry.lat, lng: entry.lng } : null;
  const until = Date.now() + (value ? POSTAL_TTL_MS : MISS_TTL_MS);
  setBounded(postalCache, key, { value, until }, MAX_ENTRIES);
  return value;
}
