import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { inr } from "../support/catalog";
import { BENGALURU, stockedSku } from "../support/marketplace";
import { quote } from "./routing.fixtures";

describe("a SKU's shipping weight", () => {
  it("is set on the SKU and prices its parcel's weight band", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    for (const [maxWeightGrams, price] of [
      [1_000, 6_000],
      [25_000, 40_000],
    ] as const) {
      const card = await api("POST", "/v1/rate-cards", {
        token: ADMIN,
        body: { vendorId: s.vendorId, maxKm: 100, maxWeightGrams, price: inr(price), transitDays: 2 },
      });
      expect(card.status).toBe(201);
    }
    const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
    expect((await api("GET", `/v1/skus/${s.skuId}`, { token: vendor })).body.weightGrams).toBe(500);
    const shopper = await newCustomer();
    const shippingOf = async () =>
      (await quote(shopper.token, [{ skuId: s.skuId, qty: 1 }])).body.shipments[0].shipping.amountMinor;
    expect(await shippingOf()).toBe(6_000);

    // A washing machine, not a 500 g parcel.
    const heavy = await api("PATCH", `/v1/skus/${s.skuId}`, { token: vendor, body: { weightGrams: 20_000 } });
    expect(heavy.status).toBe(200);
    expect(heavy.body.weightGrams).toBe(20_000);
    expect(await shippingOf()).toBe(40_000);
  });

  it("is given when the SKU is made, and refused when it is no weight", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const made = await api("POST", "/v1/skus", {
      token: ADMIN,
      body: {
        vendorId: s.vendorId,
        productId: (await api("GET", `/v1/skus/${s.skuId}`, { token: ADMIN })).body.productId,
        code: `W-${Date.now()}`,
        title: "Cast-iron pan",
        price: inr(249_900),
        barcode: `89${Date.now()}`,
        weightGrams: 2_750,
      },
    });
    expect(made.status).toBe(201);
    expect(made.body.weightGrams).toBe(2_750);
    for (const weightGrams of [0, -5, 2.5, "heavy"]) {
      const bad = await api("PATCH", `/v1/skus/${s.skuId}`, { token: ADMIN, body: { weightGrams } });
      expect(bad.status, String(weightGrams)).toBe(422);
      expect(bad.body.errors[0].path).toBe("weightGrams");
    }
  });
});
