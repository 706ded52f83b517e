import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_CHARGE_MINOR } from "../../src/domain/chargeable";
import { ADMIN, api, newCustomer, uid } from "../support/api";
import { inr, newProduct, newSku, newVendor } from "../support/catalog";
import { BENGALURU, checkout, shipTo, stockedSku, stockOf } from "../support/marketplace";

/** The caps the contracts state (src/contracts/common.ts): every money sum stays an exact integer. */
// One unit at the cap is still a total one charge can take (checkout.charge-bounds.test.ts).
const UNIT_PRICE_CAP = MAX_CHARGE_MINOR;
const PARCEL_PRICE_CAP = 10_000_000;

function expectProblem(r: { status: number; body: any; headers: Headers }, status: number, path?: string) {
  expect(r.status).toBe(status);
  expect(r.headers.get("content-type")).toContain("application/problem+json");
  if (path) expect(r.body.errors.map((e: any) => e.path)).toContain(path);
}

describe("money and quantity bounds at the edge", () => {
  it("refuses a SKU price above the unit cap, on create and on update", async () => {
    const vendor = await newVendor();
    const product = await newProduct();
    const create = (amountMinor: number) =>
      api("POST", "/v1/skus", {
        token: ADMIN,
        body: {
          vendorId: vendor.id,
          productId: product.id,
          code: uid("SKU-"),
          title: "Gold bar",
          price: inr(amountMinor),
          barcode: uid("89"),
        },
      });
    for (const amountMinor of [Number.MAX_SAFE_INTEGER, 10 ** 12, UNIT_PRICE_CAP + 1]) {
      expectProblem(await create(amountMinor), 422, "price.amountMinor");
    }
    const dearest = await create(UNIT_PRICE_CAP);
    expect(dearest.status).toBe(201);
    const update = await api("PATCH", `/v1/skus/${dearest.body.id}`, {
      token: ADMIN,
      body: { price: inr(Number.MAX_SAFE_INTEGER) },
    });
    expectProblem(update, 422, "price.amountMinor");
    const sku = await newSku(vendor.id, product.id);
    expect((await api("GET", `/v1/skus/${sku.id}`, { token: ADMIN })).body.price.amountMinor).toBe(49_900);
  });

  it("refuses a rate card's parcel price above its cap", async () => {
    const vendor = await newVendor();
    const card = (amountMinor: number) =>
      api("POST", "/v1/rate-cards", {
        token: ADMIN,
        body: { vendorId: vendor.id, maxKm: 50, maxWeightGrams: 5_000, price: inr(amountMinor), transitDays: 1 },
      });
    expectProblem(await card(Number.MAX_SAFE_INTEGER), 422, "price.amountMinor");
    expectProblem(await card(PARCEL_PRICE_CAP + 1), 422, "price.amountMinor");
    expect((await card(PARCEL_PRICE_CAP)).status).toBe(201);
  });

  it("refuses quantities and carts past their caps", async () => {
    const shopper = await newCustomer();
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const post = (lines: unknown[]) =>
      api("POST", "/v1/checkout", {
        token: shopper.token,
        body: { lines, shipTo: shipTo() },
        headers: { "Idempotency-Key": uid("idem-") },
      });
    for (const qty of [100, Number.MAX_SAFE_INTEGER, 1e300, 1.5]) {
      expectProblem(await post([{ skuId: s.skuId, qty }]), 422, "lines.0.qty");
    }
    const many = Array.from({ length: 51 }, (_, i) => ({ skuId: `sku_${i}`, qty: 1 }));
    expectProblem(await post(many), 422, "lines");
    expect((await stockOf(s.skuId)).totals).toMatchObject({ available: 5, held: 0 });
  });

  it("an extreme price already in D1 answers 4xx and leaves no hold behind", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    await env.DB.prepare("update skus set price_minor = ? where id = ?").bind(Number.MAX_SAFE_INTEGER, s.skuId).run();
    const before = (await stockOf(s.skuId)).totals;
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }]);
    expect((await stockOf(s.skuId)).totals).toEqual(before);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
  });

  it("a failure after the claim gives the stock back at once", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    // The D1 read that follows the claim fails (its table is briefly gone): a D1 error mid-checkout.
    const shopper = await newCustomer();
    const before = (await stockOf(s.skuId)).totals;
    await env.DB.exec("alter table idempotency_keys rename to idempotency_keys_away");
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }]).finally(() =>
      env.DB.exec("alter table idempotency_keys_away rename to idempotency_keys"),
    );
    expect(r.status).toBe(500);
    expect((await stockOf(s.skuId)).totals).toEqual(before);
  });
});
