import { planRoute } from "../domain/routing/assign";
import { explain } from "../domain/routing/explain";
import type { Offer, RoutingRequest, Site, VendorInfo } from "../domain/routing/types";
import { DEFAULT_VENDOR_SCORE, DEFAULT_WEIGHTS } from "../domain/routing/weights";
import { type RateCard, rateTable } from "../domain/shipping";

/** mulberry32, so every run decides over the same synthetic marketplaces. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Indian metros the synthetic warehouses scatter around.
const CITIES = [
  { lat: 12.97, lng: 77.59 },
  { lat: 19.08, lng: 72.88 },
  { lat: 28.61, lng: 77.21 },
  { lat: 13.08, lng: 80.27 },
  { lat: 22.57, lng: 88.36 },
  { lat: 17.39, lng: 78.49 },
];

const CARDS: RateCard[] = [50, 300, 1000, 3000].flatMap((maxKm, b) =>
  [1000, 5000, 20000].map((maxWeightGrams, w) => ({
    id: `card_${b}_${w}`,
    vendorId: null,
    maxKm,
    maxWeightGrams,
    priceMinor: 4_000 + b * 3_000 + w * 2_500,
    transitDays: 1 + b,
  })),
);

/**
 * A worst-case-shaped cart for the decision benchmark: every line a product line offered by every
 * vendor, each vendor with its warehouses in several cities, exact stock known for all of them.
 */
export function syntheticRequest(
  seed: number,
  shape: { lines: number; vendors: number; warehousesPerVendor: number },
): RoutingRequest {
  const rnd = prng(seed);
  const offers: Offer[] = [];
  const sites: Site[] = [];
  const vendors: VendorInfo[] = [];
  const availability = new Map<string, Map<string, number>>();
  for (let v = 0; v < shape.vendors; v++) {
    const vendorId = `ven_${v}`;
    vendors.push({
      vendorId,
      dispatchSlaHours: [12, 18, 24, 36, 48][Math.floor(rnd() * 5)]!,
      hourlyCapacity: 100,
      ordersThisHour: Math.floor(rnd() * 110),
      score: {
        ...DEFAULT_VENDOR_SCORE,
        avgDispatchHours: 2 + rnd() * 40,
        onTimeRateBps: 6_000 + Math.floor(rnd() * 4_000),
        breachRateBps: Math.floor(rnd() * 1_500),
        cancelRateBps: Math.floor(rnd() * 800),
      },
    });
    const whs: string[] = [];
    for (let w = 0; w < shape.warehousesPerVendor; w++) {
      const city = CITIES[Math.floor(rnd() * CITIES.length)]!;
      const warehouseId = `wh_${v}_${w}`;
      whs.push(warehouseId);
      sites.push({ warehouseId, vendorId, lat: city.lat + (rnd() - 0.5) * 0.4, lng: city.lng + (rnd() - 0.5) * 0.4 });
    }
    for (let p = 0; p < shape.lines; p++) {
      const skuId = `sku_${v}_${p}`;
      offers.push({
        skuId,
        productId: `prd_${p}`,
        vendorId,
        unitPriceMinor: 20_000 + Math.floor(rnd() * 8_000),
        weightGrams: 200 + Math.floor(rnd() * 2_000),
      });
      availability.set(skuId, new Map(whs.map((w) => [w, rnd() < 0.3 ? 0 : Math.floor(rnd() * 12)])));
    }
  }
  const to = CITIES[Math.floor(rnd() * CITIES.length)]!;
  return {
    now: Date.UTC(2026, 0, 5, 10),
    shipTo: { lat: to.lat + (rnd() - 0.5) * 0.2, lng: to.lng + (rnd() - 0.5) * 0.2 },
    weightsVersion: 1,
    weights: DEFAULT_WEIGHTS,
    lines: Array.from({ length: shape.lines }, (_, p) => ({
      lineIndex: p,
      productId: `prd_${p}`,
      qty: 1 + Math.floor(rnd() * 4),
    })),
    offers,
    vendors,
    sites,
    rates: rateTable(CARDS),
    availability,
  };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/**
 * Times the pure decision (plan and explanation) inside the runtime that serves checkout, on fresh
 * synthetic carts; building each input is not timed. Local workerd advances its clock during
 * computation; a deployed Worker's clock only moves on I/O, so run this locally.
 */
export function benchDecision(input: {
  iterations: number;
  lines: number;
  vendors: number;
  warehousesPerVendor: number;
}) {
  const ms: number[] = [];
  let candidates = 0;
  for (let i = 0; i < input.iterations; i++) {
    const req = syntheticRequest(i + 1, input);
    const t0 = performance.now();
    const plan = planRoute(req);
    if (plan.ok) explain(plan, req.weights);
    ms.push(performance.now() - t0);
    candidates = plan.lines.reduce((n, l) => n + l.candidates.length, 0);
  }
  const sorted = [...ms].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    iterations: input.iterations,
    shape: { lines: input.lines, vendors: input.vendors, warehousesPerVendor: input.warehousesPerVendor, candidates },
    ms: {
      p50: round(quantile(sorted, 0.5)),
      p90: round(quantile(sorted, 0.9)),
      p99: round(quantile(sorted, 0.99)),
      max: round(sorted[sorted.length - 1]!),
      mean: round(ms.reduce((s, x) => s + x, 0) / ms.length),
    },
  };
}
