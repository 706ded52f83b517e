import { haversineKm } from "../geo";
import { quoteShipping } from "../shipping";
import type { Candidate, Offer, RouteLine, RoutingRequest, Site, VendorInfo } from "./types";
import { type FactorScores, factorNames, type RoutingWeights, type VendorScore } from "./weights";

// Each factor maps a raw quantity onto (0, 1] with a half-life at its scale: 200 km is a metro
// region, 48 h a two-day promise, 24 h a day's dispatch. Smooth and monotone, so a nearer,
// faster or cheaper candidate always scores strictly higher on that factor.
const DISTANCE_SCALE_KM = 200;
const WINDOW_SCALE_HOURS = 48;
const SPEED_SCALE_HOURS = 24;

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

export const distanceScore = (km: number) => round4(1 / (1 + km / DISTANCE_SCALE_KM));
export const deliveryScore = (windowHours: number) => round4(1 / (1 + windowHours / WINDOW_SCALE_HOURS));
export const speedScore = (avgDispatchHours: number) =>
  round4(1 / (1 + Math.max(0, avgDispatchHours) / SPEED_SCALE_HOURS));
/** The chance a parcel goes out on time and is neither breached nor cancelled by the vendor. */
export const reliabilityScore = (s: VendorScore) =>
  round4((s.onTimeRateBps / 10_000) * (1 - s.breachRateBps / 10_000) * (1 - s.cancelRateBps / 10_000));
export const costScore = (costMinor: number, cheapestMinor: number) =>
  costMinor <= 0 ? 1 : round4(Math.min(1, cheapestMinor / costMinor));

export function totalScore(scores: FactorScores, weights: RoutingWeights): number {
  return round4(factorNames.reduce((s, f) => s + weights[f] * scores[f], 0));
}

/** Lookups built once per decision, so scoring a 10-line cart over 150 sites stays linear. */
export type RoutingIndex = {
  offersBySku: ReadonlyMap<string, Offer>;
  offersByProduct: ReadonlyMap<string, Offer[]>;
  sitesByVendor: ReadonlyMap<string, Site[]>;
  vendors: ReadonlyMap<string, VendorInfo>;
  distanceKm: ReadonlyMap<string, number>;
};

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function indexRequest(req: RoutingRequest): RoutingIndex {
  const offersBySku = new Map<string, Offer>();
  const offersByProduct = new Map<string, Offer[]>();
  for (const o of req.offers) {
    offersBySku.set(o.skuId, o);
    offersByProduct.set(o.productId, [...(offersByProduct.get(o.productId) ?? []), o]);
  }
  const sitesByVendor = new Map<string, Site[]>();
  const distanceKm = new Map<string, number>();
  for (const s of [...req.sites].sort((a, b) => byString(a.warehouseId, b.warehouseId))) {
    sitesByVendor.set(s.vendorId, [...(sitesByVendor.get(s.vendorId) ?? []), s]);
    distanceKm.set(s.warehouseId, haversineKm(req.shipTo, s));
  }
  return {
    offersBySku,
    offersByProduct,
    sitesByVendor,
    vendors: new Map(req.vendors.map((v) => [v.vendorId, v])),
    distanceKm,
  };
}

export function offersOf(index: RoutingIndex, line: RouteLine): Offer[] {
  if (line.skuId !== undefined) {
    const o = index.offersBySku.get(line.skuId);
    return o ? [o] : [];
  }
  return [...(index.offersByProduct.get(line.productId ?? "") ?? [])].sort((a, b) => byString(a.skuId, b.skuId));
}

/** A SKU of a product as its vendor lists it (any status): what tells one variant from another. */
export type ProductSku = { skuId: string; vendorId: string; productId: string; barcode: string };

/**
 * Whether every offer of a product line is one item, so that any of them (or a split across them)
 * gives the shopper the same thing. Vendors' SKUs of one product are its offers and its variants
 * alike (a size is another SKU of the product); "the same item" is as a reassignment keeps it
 * (reassignment/override.ts): the same SKU; at another vendor, its SKU with the same GTIN (barcode),
 * or, where the product has no variants at all (no vendor lists it as more than one SKU), any SKU of
 * it. Once any vendor lists two SKUs of it, a vendor listing one may be selling either variant (only
 * the M of an M and L), so only the barcode says which. Two SKUs of one vendor are always two
 * variants (a vendor's barcodes are unique). `skus`: every SKU of the product, whatever its status,
 * as a reassignment counts them.
 */
export function oneItem(offers: readonly Pick<Offer, "skuId" | "vendorId">[], skus: readonly ProductSku[]): boolean {
  const barcode = new Map(skus.map((s) => [s.skuId, s.barcode]));
  const listed = new Map<string, number>();
  for (const s of skus) listed.set(s.vendorId, (listed.get(s.vendorId) ?? 0) + 1);
  const noVariants = [...listed.values()].every((n) => n <= 1);
  const same = (a: Pick<Offer, "skuId" | "vendorId">, b: Pick<Offer, "skuId" | "vendorId">) =>
    a.skuId === b.skuId ||
    (a.vendorId !== b.vendorId &&
      (noVariants || (barcode.get(a.skuId) !== undefined && barcode.get(a.skuId) === barcode.get(b.skuId))));
  return offers.every((a, i) => offers.slice(i + 1).every((b) => same(a, b)));
}

/** Eligible before excluded; within each, inside the cost bound first, then best total, nearest, ids. */
export function preferenceOrder(a: Candidate, b: Candidate): number {
  return (
    Number(a.excluded !== null) - Number(b.excluded !== null) ||
    Number(b.withinCostBound) - Number(a.withinCostBound) ||
    b.total - a.total ||
    a.distanceKm - b.distanceKm ||
    byString(a.vendorId, b.vendorId) ||
    byString(a.warehouseId, b.warehouseId) ||
    byString(a.skuId, b.skuId)
  );
}

/** Every (offer, warehouse) a line could ship from, scored, in preference order. */
export function lineCandidates(req: RoutingRequest, index: RoutingIndex, line: RouteLine): Candidate[] {
  const raw: (Omit<Candidate, "scores" | "total" | "withinCostBound"> & { costMinor: number })[] = [];
  for (const offer of offersOf(index, line)) {
    const vendor = index.vendors.get(offer.vendorId);
    if (!vendor) continue;
    const atCapacity = vendor.ordersThisHour !== null && vendor.ordersThisHour >= vendor.hourlyCapacity;
    const stock = req.availability.get(offer.skuId);
    for (const site of index.sitesByVendor.get(offer.vendorId) ?? []) {
      const km = index.distanceKm.get(site.warehouseId)!;
      const ship = quoteShipping(req.rates, {
        vendorId: offer.vendorId,
        km,
        weightGrams: offer.weightGrams * line.qty,
      });
      const available = stock ? (stock.get(site.warehouseId) ?? 0) : null;
      raw.push({
        lineIndex: line.lineIndex,
        skuId: offer.skuId,
        vendorId: offer.vendorId,
        warehouseId: site.warehouseId,
        unitPriceMinor: offer.unitPriceMinor,
        distanceKm: Math.round(km * 10) / 10,
        shippingMinor: ship.priceMinor,
        transitDays: ship.transitDays,
        windowHours: vendor.dispatchSlaHours + 24 * ship.transitDays,
        available,
        excluded: atCapacity ? "vendor_at_capacity" : available === 0 ? "no_stock" : null,
        costMinor: offer.unitPriceMinor * line.qty + ship.priceMinor,
      });
    }
  }
  const eligible = raw.filter((c) => c.excluded === null);
  const cheapest = Math.min(...(eligible.length > 0 ? eligible : raw).map((c) => c.costMinor));
  const boundBps = Math.round(req.weights.costBound * 10_000);
  return raw
    .map(({ costMinor, ...c }): Candidate => {
      const vendor = index.vendors.get(c.vendorId)!;
      const scores: FactorScores = {
        distance: distanceScore(c.distanceKm),
        delivery: deliveryScore(c.windowHours),
        speed: speedScore(vendor.score.avgDispatchHours),
        reliability: reliabilityScore(vendor.score),
        cost: costScore(costMinor, cheapest),
      };
      return {
        ...c,
        withinCostBound: costMinor * 10_000 <= cheapest * (10_000 + boundBps),
        scores,
        total: totalScore(scores, req.weights),
      };
    })
    .sort(preferenceOrder);
}

/** Can this candidate take the whole line by itself, as far as is known? */
export function covers(c: Candidate, qty: number): boolean {
  return c.excluded === null && (c.available === null || c.available >= qty);
}
