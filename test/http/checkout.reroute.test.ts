import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { checkout } from "../../src/checkout/checkout";
import { hourOf } from "../../src/db/vendor-loads";
import { stockObject } from "../../src/gateways/stock";
import { ADMIN, api, newCustomer, uid } from "../support/api";
import { stockCalls } from "../support/bindings";
import { newProduct } from "../support/catalog";
import { BENGALURU, shipTo, stockedSku, stockOf } from "../support/marketplace";
import { east, offer } from "./routing.fixtures";

const background = { waitUntil: () => {} };

const input = (customerId: string, lines: { skuId?: string; productId?: string; qty: number }[]) => ({
  customer: { role: "customer" as const, tokenId: uid("tok_"), customerId },
  clientAddress: "203.0.113.9",
  idempotencyKey: uid("idem-"),
  body: { lines, shipTo: shipTo(BENGALURU) },
  now: new Date(),
});

/**
 * The bindings with a rival shopper's claim of one unit of `sku` made right after each `method`
 * call on its stock object: the claim waiting on that SKU in a rush.
 */
function rivalAfter(method: "release" | "levelsForHold", sku: { skuId: string; warehouseIds: string[] }) {
  const rival = uid("hold_rival_");
  const rushed = stockCalls({
    [method]:
      (call, skuId) =>
      async (...args) => {
        const answer = await call(...args);
        if (skuId === sku.skuId) {
          await stockObject(env, sku.skuId).reserve({
            holdId: rival,
            skuId: sku.skuId,
            qty: 1,
            warehouses: sku.warehouseIds,
            expiresAt: Date.now() + 15 * 60_000,
          });
        }
        return answer;
      },
  });
  return { env: rushed, rival };
}

/**
 * A cart of one unit of H (`hOnHand` units, at a vendor with room) and one of product P, whose
 * nearest offer is B's, at its hourly capacity already; and the checkout attempt for it.
 */
async function cartPastFullVendor(hOnHand: number) {
  const h = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: hOnHand }] });
  const product = await newProduct();
  const b = await offer({
    productId: product.id,
    vendor: { hourlyCapacity: 1 },
    warehouses: [{ at: east(BENGALURU, 2), onHand: 5 }],
  });
  const shopper = await newCustomer();
  const attempt = input(shopper.customerId, [
    { skuId: h.skuId, qty: 1 },
    { productId: product.id, qty: 1 },
  ]);
  await env.DB.prepare("insert into vendor_hourly_loads (vendor_id, hour, sub_orders) values (?, ?, 1)")
    .bind(b.vendorId, hourOf(attempt.now))
    .run();
  return { h, product, b, attempt };
}

describe("a checkout routed around a vendor at its hourly capacity", () => {
  it("keeps the units it holds of vendors with room: a rush cannot take them while it reroutes", async () => {
    // The last unit of H; P is also at C, farther.
    const { h, product, b, attempt } = await cartPastFullVendor(1);
    const c = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 60), onHand: 5 }] });
    // A claim waiting on H takes any unit of it the moment it is given back.
    const { env: rush, rival } = rivalAfter("release", h);

    const placed = await checkout(rush, background, attempt);
    expect(placed.ok, JSON.stringify(placed)).toBe(true);
    if (!placed.ok) return;
    expect(placed.body.order.subOrders.map((s) => s.vendorId).sort()).toEqual([h.vendorId, c.vendorId].sort());
    expect((await stockOf(h.skuId)).totals).toMatchObject({ held: 1, available: 0 });
    expect(await stockObject(env, h.skuId).holdsOf(rival)).toEqual([]);
    expect((await stockOf(b.skuId)).totals).toMatchObject({ held: 0, available: 5 });
    expect((await stockOf(c.skuId)).totals).toMatchObject({ held: 1, available: 4 });
  });

  it("gives back the units it kept when no route is left", async () => {
    const { h, b, attempt } = await cartPastFullVendor(3);

    const refused = await checkout(env, background, attempt);
    expect(refused).toMatchObject({ ok: false, code: "OUT_OF_STOCK" });
    expect((await stockOf(h.skuId)).totals).toMatchObject({ held: 0, available: 3 });
    expect((await stockOf(b.skuId)).totals).toMatchObject({ held: 0, available: 5 });
  });
});

describe("a product line whose chosen offer sells out between the read and the claim", () => {
  it("is routed again to another vendor's offer of it, not refused", async () => {
    const product = await newProduct();
    const a = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 2), onHand: 1 }] });
    const b = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 60), onHand: 5 }] });
    const shopper = await newCustomer();
    // Another shopper's claim takes A's last unit just after this checkout read it.
    const { env: rush } = rivalAfter("levelsForHold", a);

    const placed = await checkout(rush, background, input(shopper.customerId, [{ productId: product.id, qty: 1 }]));
    expect(placed.ok, JSON.stringify(placed)).toBe(true);
    if (!placed.ok) return;
    expect(placed.body.order.subOrders.map((s) => s.vendorId)).toEqual([b.vendorId]);
    expect((await stockOf(a.skuId)).totals).toMatchObject({ held: 1, available: 0 });
    expect((await stockOf(b.skuId)).totals).toMatchObject({ held: 1, available: 4 });
  });
});

describe("a product line routed by the cached catalog to a vendor suspended since", () => {
  it("is routed again over the catalog as it is now, to another vendor's offer", async () => {
    const product = await newProduct();
    const a = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 2), onHand: 5 }] });
    const b = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 60), onHand: 5 }] });
    const first = await newCustomer();
    // This checkout leaves the product's offers in the isolate's catalog cache.
    const warmed = await checkout(env, background, input(first.customerId, [{ productId: product.id, qty: 1 }]));
    expect(warmed.ok && warmed.body.order.subOrders.map((s) => s.vendorId)).toEqual([a.vendorId]);
    const off = await api("PATCH", `/v1/vendors/${a.vendorId}`, { token: ADMIN, body: { status: "suspended" } });
    expect(off.status).toBe(200);

    const shopper = await newCustomer();
    const placed = await checkout(env, background, input(shopper.customerId, [{ productId: product.id, qty: 1 }]));
    expect(placed.ok, JSON.stringify(placed)).toBe(true);
    if (!placed.ok) return;
    expect(placed.body.order.subOrders.map((s) => s.vendorId)).toEqual([b.vendorId]);
    // A keeps only the first shopper's unit; the second checkout's claim there was given back.
    expect((await stockOf(a.skuId)).totals).toMatchObject({ held: 1, available: 4 });
    expect((await stockOf(b.skuId)).totals).toMatchObject({ held: 1, available: 4 });
  });
});
