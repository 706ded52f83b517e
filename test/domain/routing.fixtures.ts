import type { Point } from "../../src/domain/geo";
import type { Offer, RouteLine, RoutingRequest, Site, VendorInfo } from "../../src/domain/routing/types";
import { DEFAULT_VENDOR_SCORE, DEFAULT_WEIGHTS, type VendorScore } from "../../src/domain/routing/weights";
import { type RateCard, rateTable } from "../../src/domain/shipping";

export const BLR = { lat: 12.9716, lng: 77.5946 };
export const NOW = Date.parse("2026-03-02T10:15:00Z");

/** A point `km` east of `from` (good enough near the equator for test geometry). */
export function east(from: Point, km: number): Point {
  return { lat: from.lat, lng: from.lng + km / (111.32 * Math.cos((from.lat * Math.PI) / 180)) };
}

export type VendorSpec = {
  id: string;
  sla?: number;
  cap?: number;
  used?: number | null;
  score?: Partial<VendorScore>;
  warehouses: { id: string; at: Point; stock?: Record<string, number> }[];
  offers: { sku: string; product: string; price?: number; weight?: number }[];
};

/** A routing request from a compact description; `knownStock: false` leaves availability unread. */
export function request(opts: {
  lines: RouteLine[];
  vendors: VendorSpec[];
  shipTo?: Point;
  cards?: RateCard[];
  weights?: Partial<typeof DEFAULT_WEIGHTS>;
  knownStock?: boolean;
}): RoutingRequest {
  const offers: Offer[] = [];
  const sites: Site[] = [];
  const vendors: VendorInfo[] = [];
  const availability = new Map<string, Map<string, number>>();
  for (const v of opts.vendors) {
    vendors.push({
      vendorId: v.id,
      dispatchSlaHours: v.sla ?? 18,
      hourlyCapacity: v.cap ?? 100,
      ordersThisHour: v.used === undefined ? 0 : v.used,
      score: { ...DEFAULT_VENDOR_SCORE, ...v.score },
    });
    for (const o of v.offers) {
      offers.push({
        skuId: o.sku,
        productId: o.product,
        vendorId: v.id,
        unitPriceMinor: o.price ?? 10_000,
        weightGrams: o.weight ?? 500,
      });
      if (opts.knownStock !== false) {
        availability.set(o.sku, new Map(v.warehouses.map((w) => [w.id, w.stock?.[o.sku] ?? 0])));
      }
    }
    for (const w of v.warehouses) sites.push({ warehouseId: w.id, vendorId: v.id, ...w.at });
  }
  return {
    now: NOW,
    shipTo: opts.shipTo ?? BLR,
    weightsVersion: 1,
    weights: { ...DEFAULT_WEIGHTS, ...opts.weights },
    lines: opts.lines,
    offers,
    vendors,
    sites,
    rates: rateTable(opts.cards ?? []),
    availability,
  };
}

/** mulberry32: a small seeded PRNG, so property runs are reproducible from their seed. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const shuffle = <T>(xs: readonly T[]): T[] => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  return { next, int, shuffle };
}
