import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer } from "../support/api";
import { inr, newProduct, newSku, newVendor, newWarehouse } from "../support/catalog";
import { BENGALURU, stockOf } from "../support/marketplace";
import { east, offer, order, quote } from "./routing.fixtures";

/**
 * A line by productId names no variant: it is filled with one item only (the same SKU, or another
 * vendor's SKU of the same GTIN, or any vendor's SKU of a product no vendor lists as more than one
 * SKU), never with another size or a mix. A product that comes in several variants is refused by
 * productId.
 */

async function stock(skuId: string, warehouseId: string, onHand: number) {
  const r = await api("PUT", `/v1/skus/${skuId}/stock`, {
    token: ADMIN,
    body: { warehouseId, onHand, reason: "count" },
  });
  expect(r.status).toBe(200);
}

/** Vendor A sells "Shirt" as size M and size L, one unit each, from one warehouse. */
async function shirtInTwoSizes() {
  const product = await newProduct(`Shirt ${Date.now()}`);
  const vendor = await newVendor();
  const wh = await newWarehouse(vendor.id, { lat: BENGALURU.lat, lng: BENGALURU.lng });
  const m = await newSku(vendor.id, product.id, { title: "Shirt M", price: inr(30_000) });
  const l = await newSku(vendor.id, product.id, { title: "Shirt L", price: inr(30_000) });
  await stock(m.id, wh.id, 1);
  await stock(l.id, wh.id, 1);
  return { productId: product.id as string, m: m.id as string, l: l.id as string };
}

describe("a checkout line by productId", () => {
  it("is refused, holding nothing, when the product comes in several variants", async () => {
    const shirt = await shirtInTwoSizes();
    const shopper = await newCustomer();

    const r = await order(shopper.token, [{ productId: shirt.productId, qty: 2 }]);
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([
      { path: "lines.0.productId", message: "comes in several variants: order one by skuId" },
    ]);
    for (const skuId of [shirt.m, shirt.l]) {
      expect((await stockOf(skuId)).totals).toMatchObject({ onHand: 1, held: 0, available: 1 });
    }
    const quoted = await quote(shopper.token, [{ productId: shirt.productId, qty: 1 }]);
    expect(quoted.status).toBe(422);
    expect(quoted.body.errors).toEqual([
      { path: "lines.0.productId", message: "comes in several variants: order one by skuId" },
    ]);

    // Named by SKU, a variant sells as ever.
    const bySku = await order(shopper.token, [{ skuId: shirt.m, qty: 1 }]);
    expect(bySku.status).toBe(201);
    expect((await stockOf(shirt.m)).totals).toMatchObject({ held: 1, available: 0 });
    expect((await stockOf(shirt.l)).totals).toMatchObject({ held: 0, available: 1 });
  });

  it("still routes a single item offered by two vendors under barcodes of their own", async () => {
    const product = await newProduct();
    const a = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 3), onHand: 2 }] });
    const b = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 40), onHand: 2 }] });
    expect(a.barcode).not.toBe(b.barcode);
    const shopper = await newCustomer();

    const best = await order(shopper.token, [{ productId: product.id, qty: 1 }]);
    expect(best.status).toBe(201);
    expect(best.body.order.subOrders.map((s: any) => s.vendorId)).toEqual([a.vendorId]);

    // Neither covers 3 alone: the line splits across the item's two offers.
    const split = await order(shopper.token, [{ productId: product.id, qty: 3 }]);
    expect(split.status).toBe(201);
    const lines = split.body.order.subOrders.flatMap((s: any) => s.lines);
    expect(lines.map((l: any) => [l.skuId, l.qty]).sort()).toEqual(
      [
        [a.skuId, 1],
        [b.skuId, 2],
      ].sort(),
    );
  });

  it("takes another vendor's SKU of the same GTIN as the same item, and no other of its variants", async () => {
    const product = await newProduct();
    const a = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 3), onHand: 1 }] });
    // B lists the product in two sizes, one paused: its SKU with A's barcode is A's item.
    const b = await offer({
      productId: product.id,
      barcode: a.barcode,
      warehouses: [{ at: east(BENGALURU, 40), onHand: 1 }],
    });
    const paused = await newSku(b.vendorId, product.id, { title: "Other size" });
    await env.DB.prepare("update skus set status = 'inactive' where id = ?").bind(paused.id).run();
    const shopper = await newCustomer();
    const r = await order(shopper.token, [{ productId: product.id, qty: 2 }]);
    expect(r.status).toBe(201);
    const lines = r.body.order.subOrders.flatMap((s: any) => s.lines);
    expect(lines.map((l: any) => [l.skuId, l.qty]).sort()).toEqual(
      [
        [a.skuId, 1],
        [b.skuId, 1],
      ].sort(),
    );
  });

  it("is refused when a vendor lists the product in several variants under barcodes of its own", async () => {
    const product = await newProduct();
    const a = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 3), onHand: 5 }] });
    // C lists it in two sizes, one paused: which of them is A's item, no barcode says.
    const c = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 10), onHand: 5 }] });
    const paused = await newSku(c.vendorId, product.id, { title: "Other size" });
    await env.DB.prepare("update skus set status = 'inactive' where id = ?").bind(paused.id).run();
    const shopper = await newCustomer();
    const refused = await order(shopper.token, [{ productId: product.id, qty: 1 }]);
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      { path: "lines.0.productId", message: "comes in several variants: order one by skuId" },
    ]);
    for (const skuId of [a.skuId, c.skuId]) expect((await stockOf(skuId)).totals).toMatchObject({ held: 0 });
  });

  it("is refused when the vendors offering it list one size each and another lists it in sizes", async () => {
    // A lists M and L (both paused); X joined with only M (M's GTIN), Y with only L (L's GTIN).
    const product = await newProduct();
    const a = await newVendor();
    const m = await newSku(a.id, product.id, { title: "Shirt M" });
    const l = await newSku(a.id, product.id, { title: "Shirt L" });
    await env.DB.prepare("update skus set status = 'inactive' where id in (?, ?)").bind(m.id, l.id).run();
    const x = await offer({
      productId: product.id,
      barcode: m.barcode,
      warehouses: [{ at: east(BENGALURU, 3), onHand: 1 }],
    });
    const y = await offer({
      productId: product.id,
      barcode: l.barcode,
      warehouses: [{ at: east(BENGALURU, 10), onHand: 1 }],
    });
    const shopper = await newCustomer();
    const refused = await order(shopper.token, [{ productId: product.id, qty: 2 }]);
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      { path: "lines.0.productId", message: "comes in several variants: order one by skuId" },
    ]);
    for (const skuId of [x.skuId, y.skuId]) expect((await stockOf(skuId)).totals).toMatchObject({ held: 0 });
  });
});
