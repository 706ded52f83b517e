import { describe, expect, it } from "vitest";
import { planRoute } from "../../src/domain/routing/assign";
import { explain } from "../../src/domain/routing/explain";
import { shipmentsOf } from "../../src/domain/routing/shipments";
import type { RoutePlan } from "../../src/domain/routing/types";
import { DEFAULT_WEIGHTS } from "../../src/domain/routing/weights";
import { quoteShipping, rateTable } from "../../src/domain/shipping";
import { BLR, east, NOW, request } from "./routing.fixtures";

const okPlan = (plan: RoutePlan) => {
  if (!plan.ok) throw new Error(`expected a plan, got shortages ${JSON.stringify(plan.shortages)}`);
  return plan;
};
const chosen = (plan: RoutePlan, lineIndex = 0) =>
  okPlan(plan)
    .lines.find((l) => l.lineIndex === lineIndex)!
    .allocations.map((a) => [a.vendorId, a.warehouseId, a.qty]);

const UNRELIABLE = { avgDispatchHours: 30, onTimeRateBps: 5_500, breachRateBps: 2_000, cancelRateBps: 1_000 };
const RELIABLE = { avgDispatchHours: 6, onTimeRateBps: 9_800, breachRateBps: 50, cancelRateBps: 50 };

describe("routing scenarios", () => {
  it("sends a line to the nearest warehouse when everything else is equal", () => {
    const plan = planRoute(
      request({
        lines: [{ lineIndex: 0, skuId: "sku_a", qty: 2 }],
        vendors: [
          {
            id: "ven_a",
            warehouses: [
              { id: "wh_far", at: east(BLR, 40), stock: { sku_a: 5 } },
              { id: "wh_near", at: east(BLR, 4), stock: { sku_a: 5 } },
            ],
            offers: [{ sku: "sku_a", product: "prd_1" }],
          },
        ],
      }),
    );
    expect(chosen(plan)).toEqual([["ven_a", "wh_near", 2]]);
  });

  it("picks the nearer of two equal vendors for a product line", () => {
    const vendor = (id: string, km: number) => ({
      id,
      warehouses: [{ id: `wh_${id}`, at: east(BLR, km), stock: { [`sku_${id}`]: 3 } }],
      offers: [{ sku: `sku_${id}`, product: "prd_tea" }],
    });
    const plan = planRoute(
      request({ lines: [{ lineIndex: 0, productId: "prd_tea", qty: 1 }], vendors: [vendor("b", 15), vendor("a", 6)] }),
    );
    expect(chosen(plan)).toEqual([["a", "wh_a", 1]]);
  });

  it("prefers a reliable vendor a little farther away over a slow, unreliable nearer one", () => {
    const vendors = (nearScore: object) => [
      {
        id: "ven_near",
        score: nearScore,
        warehouses: [{ id: "wh_near", at: east(BLR, 3), stock: { sku_near: 10 } }],
        offers: [{ sku: "sku_near", product: "prd_x" }],
      },
      {
        id: "ven_far",
        score: RELIABLE,
        warehouses: [{ id: "wh_far", at: east(BLR, 25), stock: { sku_far: 10 } }],
        offers: [{ sku: "sku_far", product: "prd_x" }],
      },
    ];
    const line = [{ lineIndex: 0, productId: "prd_x", qty: 1 }];
    const plan = okPlan(planRoute(request({ lines: line, vendors: vendors(UNRELIABLE) })));
    expect(chosen(plan)).toEqual([["ven_far", "wh_far", 1]]);
    const why = explain(plan, DEFAULT_WEIGHTS).lines[0]!;
    expect(why.reason).toMatch(/more reliable|dispatches faster/);
    expect(why.candidates.map((c) => c.vendorId)).toEqual(["ven_far", "ven_near"]);
    // With the same history the nearer one wins: it is the history that decided.
    expect(chosen(planRoute(request({ lines: line, vendors: vendors(RELIABLE) })))).toEqual([
      ["ven_near", "wh_near", 1],
    ]);
  });

  it("skips a vendor at its hourly capacity", () => {
    const vendors = (used: number) => [
      {
        id: "ven_busy",
        cap: 5,
        used,
        warehouses: [{ id: "wh_busy", at: east(BLR, 2), stock: { sku_busy: 10 } }],
        offers: [{ sku: "sku_busy", product: "prd_y" }],
      },
      {
        id: "ven_free",
        warehouses: [{ id: "wh_free", at: east(BLR, 30), stock: { sku_free: 10 } }],
        offers: [{ sku: "sku_free", product: "prd_y" }],
      },
    ];
    const line = [{ lineIndex: 0, productId: "prd_y", qty: 1 }];
    expect(chosen(planRoute(request({ lines: line, vendors: vendors(4) })))).toEqual([["ven_busy", "wh_busy", 1]]);
    const full = okPlan(planRoute(request({ lines: line, vendors: vendors(5) })));
    expect(chosen(full)).toEqual([["ven_free", "wh_free", 1]]);
    const why = explain(full, DEFAULT_WEIGHTS).lines[0]!;
    expect(why.reason).toContain("Skipped at their hourly capacity: ven_busy");
    expect(why.candidates.find((c) => c.vendorId === "ven_busy")?.excluded).toBe("vendor_at_capacity");

    const onlyBusy = planRoute(request({ lines: [{ lineIndex: 0, skuId: "sku_busy", qty: 1 }], vendors: vendors(5) }));
    expect(onlyBusy).toMatchObject({ ok: false, shortages: [{ lineIndex: 0, skuId: "sku_busy", available: 0 }] });
  });

  it("ships a cart that one warehouse can cover as one shipment", () => {
    const req = request({
      lines: [
        { lineIndex: 0, skuId: "sku_x", qty: 1 },
        { lineIndex: 1, skuId: "sku_y", qty: 2 },
      ],
      vendors: [
        {
          id: "ven_v",
          warehouses: [
            { id: "wh_x_only", at: east(BLR, 2), stock: { sku_x: 5 } },
            { id: "wh_y_only", at: east(BLR, 3), stock: { sku_y: 5 } },
            { id: "wh_both", at: east(BLR, 12), stock: { sku_x: 5, sku_y: 5 } },
          ],
          offers: [
            { sku: "sku_x", product: "prd_x" },
            { sku: "sku_y", product: "prd_y" },
          ],
        },
      ],
    });
    const plan = okPlan(planRoute(req));
    expect(chosen(plan, 0)).toEqual([["ven_v", "wh_both", 1]]);
    expect(chosen(plan, 1)).toEqual([["ven_v", "wh_both", 2]]);
    const why = explain(plan, DEFAULT_WEIGHTS);
    expect(why.lines[0]!.reason).toContain("Shares one parcel from wh_both");
    const parcels = shipmentsOf(
      {
        now: NOW,
        shipTo: BLR,
        rates: req.rates,
        slaHours: () => 18,
        site: (id) => req.sites.find((s) => s.warehouseId === id)!,
      },
      plan.lines.flatMap((l) =>
        l.allocations.map((a) => ({ ...a, lineIndex: l.lineIndex, unitPriceMinor: 100, weightGrams: 500 })),
      ),
    );
    expect(parcels).toHaveLength(1);
    expect(parcels[0]!.weightGrams).toBe(1500);
  });

  it("keeps lines apart when sharing a parcel would cost too much score", () => {
    const plan = planRoute(
      request({
        lines: [
          { lineIndex: 0, skuId: "sku_x", qty: 1 },
          { lineIndex: 1, skuId: "sku_y", qty: 1 },
        ],
        vendors: [
          {
            id: "ven_v",
            warehouses: [
              { id: "wh_x", at: east(BLR, 2), stock: { sku_x: 5 } },
              { id: "wh_y", at: east(BLR, 3), stock: { sku_y: 5 } },
              { id: "wh_far", at: east(BLR, 400), stock: { sku_x: 5, sku_y: 5 } },
            ],
            offers: [
              { sku: "sku_x", product: "prd_x" },
              { sku: "sku_y", product: "prd_y" },
            ],
          },
        ],
      }),
    );
    expect(chosen(plan, 0)).toEqual([["ven_v", "wh_x", 1]]);
    expect(chosen(plan, 1)).toEqual([["ven_v", "wh_y", 1]]);
  });

  it("splits a quantity no single warehouse holds, in preference order, and only then", () => {
    const vendors = (stock: number[]) => [
      {
        id: "ven_s",
        warehouses: [
          { id: "wh_1", at: east(BLR, 1), stock: { sku_s: stock[0]! } },
          { id: "wh_2", at: east(BLR, 800), stock: { sku_s: stock[1]! } },
          { id: "wh_3", at: east(BLR, 1700), stock: { sku_s: stock[2]! } },
        ],
        offers: [{ sku: "sku_s", product: "prd_s" }],
      },
    ];
    const line = [{ lineIndex: 0, skuId: "sku_s", qty: 6 }];
    const split = okPlan(planRoute(request({ lines: line, vendors: vendors([2, 3, 4]) })));
    expect(chosen(split)).toEqual([
      ["ven_s", "wh_1", 2],
      ["ven_s", "wh_2", 3],
      ["ven_s", "wh_3", 1],
    ]);
    expect(split.reservations).toEqual([
      { skuId: "sku_s", lineIndex: 0, qty: 6, warehouses: ["wh_1", "wh_2", "wh_3"] },
    ]);
    expect(explain(split, DEFAULT_WEIGHTS).lines[0]!.reason).toContain("No single eligible warehouse holds all 6");
    // One warehouse that holds all 6 takes the line whole, even though a nearer one holds some.
    expect(chosen(planRoute(request({ lines: line, vendors: vendors([2, 3, 7]) })))).toEqual([["ven_s", "wh_3", 6]]);
    const short = planRoute(request({ lines: line, vendors: vendors([1, 1, 1]) }));
    expect(short).toMatchObject({
      ok: false,
      shortages: [{ lineIndex: 0, skuId: "sku_s", requested: 6, available: 3 }],
    });
  });

  it("promises the tightest window: a short-SLA vendor beats a long-SLA one at the same distance", () => {
    const plan = planRoute(
      request({
        lines: [{ lineIndex: 0, productId: "prd_w", qty: 1 }],
        vendors: [
          {
            id: "ven_slow_sla",
            sla: 72,
            warehouses: [{ id: "wh_a", at: east(BLR, 5), stock: { sku_a: 5 } }],
            offers: [{ sku: "sku_a", product: "prd_w" }],
          },
          {
            id: "ven_fast_sla",
            sla: 12,
            warehouses: [{ id: "wh_b", at: east(BLR, 5), stock: { sku_b: 5 } }],
            offers: [{ sku: "sku_b", product: "prd_w" }],
          },
        ],
      }),
    );
    expect(chosen(plan)).toEqual([["ven_fast_sla", "wh_b", 1]]);
  });

  it("keeps cost bounded: a much dearer offer loses to a cheap one even when nearer", () => {
    const plan = planRoute(
      request({
        lines: [{ lineIndex: 0, productId: "prd_c", qty: 1 }],
        vendors: [
          {
            id: "ven_dear",
            warehouses: [{ id: "wh_dear", at: east(BLR, 1), stock: { sku_dear: 5 } }],
            offers: [{ sku: "sku_dear", product: "prd_c", price: 20_000 }],
          },
          {
            id: "ven_cheap",
            warehouses: [{ id: "wh_cheap", at: east(BLR, 8), stock: { sku_cheap: 5 } }],
            offers: [{ sku: "sku_cheap", product: "prd_c", price: 10_000 }],
          },
        ],
      }),
    );
    expect(chosen(plan)).toEqual([["ven_cheap", "wh_cheap", 1]]);
  });

  it("ranks without stock reads when the stock object can decide alone, and says so", () => {
    const plan = okPlan(
      planRoute(
        request({
          knownStock: false,
          lines: [{ lineIndex: 0, skuId: "sku_u", qty: 3 }],
          vendors: [
            {
              id: "ven_u",
              warehouses: [
                { id: "wh_far", at: east(BLR, 900) },
                { id: "wh_near", at: east(BLR, 2) },
              ],
              offers: [{ sku: "sku_u", product: "prd_u" }],
            },
          ],
        }),
      ),
    );
    expect(plan.reservations).toEqual([{ skuId: "sku_u", lineIndex: 0, qty: 3, warehouses: ["wh_near", "wh_far"] }]);
    const actual = new Map([[0, [{ skuId: "sku_u", vendorId: "ven_u", warehouseId: "wh_far", qty: 3 }]]]);
    const why = explain(plan, DEFAULT_WEIGHTS, actual).lines[0]!;
    expect(why.chosen).toEqual(actual.get(0));
    expect(why.planned).toBeUndefined();
    expect(why.reason).toContain("stock object took the first warehouse");
    expect(why.candidates[0]!.available).toBeNull();
  });

  it("says the stock object split a line it ranked without stock reads, never that one warehouse held it all", () => {
    const plan = okPlan(
      planRoute(
        request({
          knownStock: false,
          lines: [{ lineIndex: 0, skuId: "sku_s", qty: 10 }],
          vendors: [
            {
              id: "ven_s",
              warehouses: [
                { id: "wh_s1", at: east(BLR, 2) },
                { id: "wh_s2", at: east(BLR, 30) },
              ],
              offers: [{ sku: "sku_s", product: "prd_s" }],
            },
          ],
        }),
      ),
    );
    expect(plan.lines[0]!.how).toBe("unknown_stock");
    const split = [
      { skuId: "sku_s", vendorId: "ven_s", warehouseId: "wh_s1", qty: 6 },
      { skuId: "sku_s", vendorId: "ven_s", warehouseId: "wh_s2", qty: 4 },
    ];
    const why = explain(plan, DEFAULT_WEIGHTS, new Map([[0, split]])).lines[0]!;
    expect(why.chosen).toEqual(split);
    expect(why.reason).not.toContain("held all 10");
    expect(why.reason).toContain("no single warehouse had 10 units");
    expect(why.reason).toContain("6 from wh_s1 of ven_s, 4 from wh_s2 of ven_s");
  });

  it("records a reservation that came back different from the plan", () => {
    const plan = okPlan(
      planRoute(
        request({
          lines: [{ lineIndex: 0, skuId: "sku_r", qty: 1 }],
          vendors: [
            {
              id: "ven_r",
              warehouses: [
                { id: "wh_1", at: east(BLR, 1), stock: { sku_r: 1 } },
                { id: "wh_2", at: east(BLR, 50), stock: { sku_r: 1 } },
              ],
              offers: [{ sku: "sku_r", product: "prd_r" }],
            },
          ],
        }),
      ),
    );
    const raced = new Map([[0, [{ skuId: "sku_r", vendorId: "ven_r", warehouseId: "wh_2", qty: 1 }]]]);
    const why = explain(plan, DEFAULT_WEIGHTS, raced).lines[0]!;
    expect(why.planned).toEqual([{ skuId: "sku_r", vendorId: "ven_r", warehouseId: "wh_1", qty: 1 }]);
    expect(why.chosen).toEqual(raced.get(0));
    expect(why.reason).toContain("Reserved differently from the plan");
  });

  it("answers product-line shortages with the product id", () => {
    const plan = planRoute(
      request({
        lines: [{ lineIndex: 0, productId: "prd_z", qty: 4 }],
        vendors: [
          {
            id: "ven_z",
            warehouses: [{ id: "wh_z", at: east(BLR, 3), stock: { sku_z: 1 } }],
            offers: [{ sku: "sku_z", product: "prd_z" }],
          },
        ],
      }),
    );
    expect(plan).toMatchObject({
      ok: false,
      shortages: [{ lineIndex: 0, productId: "prd_z", requested: 4, available: 1 }],
    });
  });

  it("refuses a cart in which two lines could take the same SKU", () => {
    expect(() =>
      planRoute(
        request({
          lines: [
            { lineIndex: 0, skuId: "sku_d", qty: 1 },
            { lineIndex: 1, productId: "prd_d", qty: 1 },
          ],
          vendors: [
            {
              id: "ven_d",
              warehouses: [{ id: "wh_d", at: BLR, stock: { sku_d: 5 } }],
              offers: [{ sku: "sku_d", product: "prd_d" }],
            },
          ],
        }),
      ),
    ).toThrow(/both use sku_d/);
  });
});

describe("shipping from rate cards", () => {
  const card = (id: string, vendorId: string | null, maxKm: number, maxWeightGrams: number, priceMinor: number) => ({
    id,
    vendorId,
    maxKm,
    maxWeightGrams,
    priceMinor,
    transitDays: maxKm <= 50 ? 1 : 3,
  });
  const table = rateTable([
    card("p_local_1kg", null, 50, 1000, 4_000),
    card("p_local_5kg", null, 50, 5000, 9_000),
    card("p_far_1kg", null, 2500, 1000, 12_000),
    card("p_far_5kg", null, 2500, 5000, 25_000),
    card("v_flat", "ven_own", 3000, 10_000, 5_000),
  ]);

  it("prices by distance band then weight band, the vendor's own card first", () => {
    expect(quoteShipping(table, { vendorId: "ven_x", km: 10, weightGrams: 800 })).toMatchObject({
      priceMinor: 4_000,
      transitDays: 1,
      rateCardId: "p_local_1kg",
    });
    expect(quoteShipping(table, { vendorId: "ven_x", km: 10, weightGrams: 1200 }).rateCardId).toBe("p_local_5kg");
    expect(quoteShipping(table, { vendorId: "ven_x", km: 700, weightGrams: 800 })).toMatchObject({
      priceMinor: 12_000,
      transitDays: 3,
    });
    expect(quoteShipping(table, { vendorId: "ven_own", km: 700, weightGrams: 8000 }).rateCardId).toBe("v_flat");
  });

  it("uses the last band beyond every distance, and several parcels beyond every weight", () => {
    expect(quoteShipping(table, { vendorId: "ven_x", km: 4000, weightGrams: 500 }).rateCardId).toBe("p_far_1kg");
    expect(quoteShipping(table, { vendorId: "ven_x", km: 10, weightGrams: 12_000 })).toMatchObject({
      priceMinor: 27_000,
      parcels: 3,
      rateCardId: "p_local_5kg",
    });
  });

  it("ships free with an estimated transit when there are no cards", () => {
    expect(quoteShipping(rateTable([]), { vendorId: "v", km: 1300, weightGrams: 1 })).toEqual({
      priceMinor: 0,
      transitDays: 3,
      rateCardId: null,
      parcels: 1,
    });
  });
});
