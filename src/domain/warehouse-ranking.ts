import { byDistance, type Point } from "./geo";

export type WarehouseSite = Point & { id: string; vendorId: string };

/**
 * Where a late payment's lost lines are re-reserved: another warehouse of the same vendor, nearest
 * first. Routing scores every candidate on more than distance, but with the vendor fixed its speed,
 * reliability and capacity are the same for every warehouse; the stock object applies this ranking
 * against exact counts. Ties break by id so the same inputs always rank the same.
 */
export function rankByDistance(sites: readonly WarehouseSite[], to: Point): string[] {
  const byId = [...sites].sort((a, b) => a.id.localeCompare(b.id));
  return byDistance(to, byId).map((s) => s.id);
}
