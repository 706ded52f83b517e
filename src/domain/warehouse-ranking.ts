import { byDistance, type Point } from "./geo";

export type WarehouseSite = Point & { id: string; vendorId: string };

/**
 * A line goes to the nearest warehouse of its vendor that can cover it; the stock object applies
 * this ranking against exact counts. Ties break by id so the same inputs always rank the same.
 */
export function rankByDistance(sites: readonly WarehouseSite[], to: Point): string[] {
  const byId = [...sites].sort((a, b) => a.id.localeCompare(b.id));
  return byDistance(to, byId).map((s) => s.id);
}
