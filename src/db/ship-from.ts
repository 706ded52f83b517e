import { setBounded } from "../domain/bounded-map";
import type { Point } from "../domain/geo";
import type { Db } from "./client";
import { findPostalCode } from "./postal-codes";

// Every checkout by postal code needs its coordinates before it may claim stock; the table
// changes only on import, so entries are kept per isolate for a while.
const POSTAL_TTL_MS = 600_000;
const MAX_ENTRIES = 50_000;
const postalCache = new Map<string, { value: Point; until: number }>();

/** A postal code's coordinates (codes normalized by the caller). */
export async function postalPoint(db: Db, country: string, code: string): Promise<Point | null> {
  const key = `${country}:${code}`;
  const hit = postalCache.get(key);
  if (hit && hit.until > Date.now()) return hit.value;
  const entry = await findPostalCode(db, country, code);
  if (!entry) return null;
  const value = { lat: entry.lat, lng: entry.lng };
  setBounded(postalCache, key, { value, until: Date.now() + POSTAL_TTL_MS }, MAX_ENTRIES);
  return value;
}
