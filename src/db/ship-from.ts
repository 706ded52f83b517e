import { and, eq, inArray } from "drizzle-orm";
import type { Point } from "../domain/geo";
import type { Db } from "./client";
import { findPostalCode } from "./postal-codes";
import { skus, warehouses } from "./schema";

export type Site = Point & { id: string; vendorId: string };
export type ShipFrom = { vendorId: string; sites: Site[] };

// Where a SKU can ship from changes rarely (a SKU never changes vendor; warehouses open and close
// now and then), and every checkout needs it before it may claim stock. Kept per isolate for a
// few seconds, so a refused claim in a rush costs no D1 read at all. Prices, statuses and
// commission are never taken from here: checkout reads them from D1 once it holds the stock.
const SITES_TTL_MS = 10_000;
const POSTAL_TTL_MS = 600_000;
const MAX_ENTRIES = 50_000;

const sitesCache = new Map<string, { value: ShipFrom; until: number }>();
const postalCache = new Map<string, { value: Point; until: number }>();

function remember<V>(cache: Map<string, { value: V; until: number }>, key: string, value: V, ttl: number) {
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(key, { value, until: Date.now() + ttl });
}

/** Each known SKU's vendor and that vendor's active warehouses; unknown SKUs are absent. */
export async function shipFrom(db: Db, skuIds: readonly string[]): Promise<Map<string, ShipFrom>> {
  const found = new Map<string, ShipFrom>();
  const misses: string[] = [];
  for (const id of skuIds) {
    const hit = sitesCache.get(id);
    if (hit && hit.until > Date.now()) found.set(id, hit.value);
    else misses.push(id);
  }
  if (misses.length === 0) return found;
  const [owners, sites] = await db.batch([
    db.select({ skuId: skus.id, vendorId: skus.vendorId }).from(skus).where(inArray(skus.id, misses)),
    db
      .select({ id: warehouses.id, vendorId: warehouses.vendorId, lat: warehouses.lat, lng: warehouses.lng })
      .from(warehouses)
      .where(
        and(
          eq(warehouses.status, "active"),
          inArray(warehouses.vendorId, db.select({ v: skus.vendorId }).from(skus).where(inArray(skus.id, misses))),
        ),
      ),
  ]);
  for (const o of owners) {
    const value = { vendorId: o.vendorId, sites: sites.filter((s) => s.vendorId === o.vendorId) };
    remember(sitesCache, o.skuId, value, SITES_TTL_MS);
    found.set(o.skuId, value);
  }
  return found;
}

/** A postal code's coordinates (codes normalized by the caller); the table changes only on import. */
export async function postalPoint(db: Db, country: string, code: string): Promise<Point | null> {
  const key = `${country}:${code}`;
  const hit = postalCache.get(key);
  if (hit && hit.until > Date.now()) return hit.value;
  const entry = await findPostalCode(db, country, code);
  if (!entry) return null;
  const value = { lat: entry.lat, lng: entry.lng };
  remember(postalCache, key, value, POSTAL_TTL_MS);
  return value;
}
