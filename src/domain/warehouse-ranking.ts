import { haversineKm } from "./geo";

type Point = { lat: number; lng: number };

export type WarehouseSite = Point & { id: string; vendorId: string };

/**
 * Until the routing engine lands, a line goes to the nearest warehouse of its vendor that can
 * cover it; the stock object applies this ranking against exact counts. Ties break by id so the
 * same inputs always give the same order.
 */
export function rankByDistance(sites: readonly WarehouseSite[], to: Point): string[] {
  return sites
    .map((s) => ({ id: s.id, km: haversineKm(s, to) }))
    .sort((a, b) => a.km - b.km || a.id.localeCompare(b.id))
    .map((s) => s.id);
}
