import { describe, expect, it } from "vitest";
import { planRoute } from "../../src/domain/routing/assign";
import { explain } from "../../src/domain/routing/explain";
import { fitVendorScore, nudgeWeights, type Outcome } from "../../src/domain/routing/learning";
import type { RouteLine, RoutingRequest } from "../../src/domain/routing/types";
import { DEFAULT_VENDOR_SCORE, DEFAULT_WEIGHTS, factorNames } from "../../src/domain/routing/weights";
import { BLR, east, prng, request, type VendorSpec } from "./routing.fixtures";

const RUNS = 400;

/** A random marketplace and cart: 1-8 vendors, 1-3 warehouses each, products sold by 1-4 of them. */
function randomRequest(seed: number): RoutingRequest {
  const r = prng(seed);
  const products = Array.from({ length: r.int(1, 6) }, (_, i) => `prd_${i}`);
  const vendors: VendorSpec[] = Array.from({ length: r.int(1, 8) }, (_, v) => {
    const offers = products
      .filter(() => r.next() < 0.6)
      .map((p) => ({ sku: `sku_${v}_${p}`, product: p, price: r.int(1, 5) * 5_000 }));
    return {
      id: `ven_${v}`,
      sla: r.int(6, 72),
      cap: r.int(1, 5),
      used: r.next() < 0.3 ? r.int(0, 6) : 0,
      score: {
        avgDispatchHours: r.int(1, 48),
        onTimeRateBps: r.int(3_000, 10_000),
        breachRateBps: r.int(0, 3_000),
        cancelRateBps: r.int(0, 2_000),
      },
      warehouses: Array.from({ length: r.int(1, 3) }, (_, w) => ({
        id: `wh_${v}_${w}`,
        at: east({ lat: BLR.lat + (r.next() - 0.5) * 4, lng: BLR.lng }, (r.next() - 0.5) * 400),
        stock: Object.fromEntries(offers.map((o) => [o.sku, r.next() < 0.25 ? 0 : r.int(0, 8)])),
      })),
      offers,
    };
  });
  const offered = vendors.flatMap((v) => v.offers);
  const lines: RouteLine[] = [];
  const usedProducts = new Set<string>();
  for (let i = 0; i < r.int(1, 6); i++) {
    const o = offered[r.int(0, Math.max(0, offered.length - 1))];
    if (!o || usedProducts.has(o.product)) continue;
    usedProducts.add(o.product);
    const qty = r.int(1, 9);
    lines.push(
      r.next() < 0.5
        ? { lineIndex: lines.length, skuId: o.sku, qty }
        : { lineIndex: lines.length, productId: o.product, qty },
    );
  }
  if (lines.length === 0) lines.push({ lineIndex: 0, productId: "prd_none", qty: 1 });
  return request({ lines, vendors, shipTo: east(BLR, r.int(-50, 50)), weights: { groupTolerance: r.next() * 0.1 } });
}

/** The same request with every list in another order. */
function shuffled(req: RoutingRequest, seed: number): RoutingRequest {
  const r = prng(seed);
  return {
    ...req,
    lines: r.shuffle(req.lines),
    offers: r.shuffle(req.offers),
    vendors: r.shuffle(req.vendors),
    sites: r.shuffle(req.sites),
  };
}

describe("routing properties", () => {
  it("never assigns more than is available, never to a vendor at its cap, and covers every line exactly", () => {
    let planned = 0;
    for (let seed = 1; seed <= RUNS; seed++) {
      const req = randomRequest(seed);
      const plan = planRoute(req);
      const vendor = new Map(req.vendors.map((v) => [v.vendorId, v]));
      if (!plan.ok) {
        for (const s of plan.shortages) {
          const line = req.lines.find((l) => l.lineIndex === s.lineIndex)!;
          expect(s.requested, `seed ${seed}`).toBe(line.qty);
          expect(s.available, `seed ${seed}`).toBeLessThan(line.qty);
        }
        continue;
      }
      planned++;
      const taken = new Map<string, number>();
      for (const d of plan.lines) {
        const line = req.lines.find((l) => l.lineIndex === d.lineIndex)!;
        expect(
          d.allocations.reduce((n, a) => n + a.qty, 0),
          `seed ${seed}`,
        ).toBe(line.qty);
        for (const a of d.allocations) {
          expect(a.qty, `seed ${seed}`).toBeGreaterThan(0);
          const v = vendor.get(a.vendorId)!;
          expect(v.ordersThisHour ?? 0, `seed ${seed}: ${a.vendorId} over cap`).toBeLessThan(v.hourlyCapacity);
          const key = `${a.skuId}/${a.warehouseId}`;
          taken.set(key, (taken.get(key) ?? 0) + a.qty);
        }
      }
      for (const [key, qty] of taken) {
        const [sku, wh] = key.split("/") as [string, string];
        expect(qty, `seed ${seed}: ${key}`).toBeLessThanOrEqual(req.availability.get(sku)!.get(wh)!);
      }
      for (const r of plan.reservations) {
        expect(new Set(r.warehouses).size, `seed ${seed}`).toBe(r.warehouses.length);
      }
    }
    expect(planned).toBeGreaterThan(RUNS / 5);
  });

  it("gives the same answer for the same inputs, whatever their order", () => {
    for (let seed = 1; seed <= RUNS; seed++) {
      const req = randomRequest(seed);
      const once = planRoute(req);
      expect(JSON.stringify(planRoute(req)), `seed ${seed}`).toBe(JSON.stringify(once));
      expect(JSON.stringify(planRoute(shuffled(req, seed + 7))), `seed ${seed}`).toBe(JSON.stringify(once));
      if (once.ok) {
        expect(JSON.stringify(explain(planRoute(shuffled(req, seed + 9)) as typeof once, req.weights))).toBe(
          JSON.stringify(explain(once, req.weights)),
        );
      }
    }
  });

  it("never makes the cart's promise later by grouping lines", () => {
    for (let seed = 1; seed <= RUNS; seed++) {
      const req = randomRequest(seed);
      const grouped = planRoute(req);
      const alone = planRoute({ ...req, weights: { ...req.weights, groupTolerance: 0 } });
      if (grouped.ok && alone.ok) expect(grouped.windowHours, `seed ${seed}`).toBeLessThanOrEqual(alone.windowHours);
    }
  });
});

describe("learning from outcomes", () => {
  const late: Outcome = {
    vendorId: "v",
    dispatchHours: 40,
    dispatchedOnTime: false,
    deliveredOnTime: null,
    breached: false,
    vendorCancelled: false,
  };
  const onTime: Outcome = { ...late, dispatchHours: 4, dispatchedOnTime: true };

  it("moves a vendor's score down after late dispatches and up after prompt ones", () => {
    const worse = fitVendorScore(Array.from({ length: 10 }, () => late))!;
    expect(worse.onTimeRateBps).toBeLessThan(DEFAULT_VENDOR_SCORE.onTimeRateBps);
    expect(worse.avgDispatchHours).toBeGreaterThan(DEFAULT_VENDOR_SCORE.avgDispatchHours);
    expect(worse.sampleSize).toBe(10);
    const better = fitVendorScore(Array.from({ length: 10 }, () => onTime))!;
    expect(better.onTimeRateBps).toBeGreaterThan(DEFAULT_VENDOR_SCORE.onTimeRateBps);
    expect(better.avgDispatchHours).toBeLessThan(DEFAULT_VENDOR_SCORE.avgDispatchHours);
    const breached = fitVendorScore([{ ...late, dispatchHours: null, dispatchedOnTime: null, breached: true }])!;
    expect(breached.breachRateBps).toBeGreaterThan(DEFAULT_VENDOR_SCORE.breachRateBps);
    expect(fitVendorScore([{ ...late, dispatchedOnTime: null, dispatchHours: null }])).toBeNull();
  });

  it("nudges weight towards the factors that separated on-time parcels from late ones, within bounds", () => {
    const scored = (o: Outcome, reliability: number): Outcome => ({
      ...o,
      scores: { distance: 0.9, delivery: 0.5, speed: 0.5, reliability, cost: 1 },
    });
    const outcomes = [
      ...Array.from({ length: 5 }, () => scored(onTime, 0.95)),
      ...Array.from({ length: 5 }, () => scored(late, 0.4)),
    ];
    const { weights, changes } = nudgeWeights(DEFAULT_WEIGHTS, outcomes);
    expect(weights.reliability).toBeGreaterThan(DEFAULT_WEIGHTS.reliability);
    expect(weights.reliability - DEFAULT_WEIGHTS.reliability).toBeLessThanOrEqual(0.021);
    expect(factorNames.reduce((s, f) => s + weights[f], 0)).toBeCloseTo(1, 6);
    expect(changes.find((c) => c.factor === "reliability")).toMatchObject({ from: DEFAULT_WEIGHTS.reliability });
    expect(nudgeWeights(DEFAULT_WEIGHTS, outcomes.slice(0, 6)).changes).toEqual([]);
  });
});
