import { env } from "cloudflare:test";
import { expect } from "vitest";
import { ADMIN, api, newCustomer, uid } from "../support/api";
import { inr, newProduct, newSku, newVendor, newWarehouse } from "../support/catalog";
import { BENGALURU, pay } from "../support/marketplace";

/** A point `km` east of `from`. */
export function east(from: { lat: number; lng: number }, km: number) {
  return { lat: from.lat, lng: from.lng + km / (111.32 * Math.cos((from.lat * Math.PI) / 180)) };
}

/**
 * A vendor selling `productId` from warehouses stocked as given: one offer of a shared product, under
 * a barcode of its own unless `barcode` names one (another vendor's GTIN: the same variant).
 */
export async function offer(opts: {
  productId: string;
  warehouses: { at: { lat: number; lng: number }; onHand: number }[];
  priceMinor?: number;
  vendor?: Record<string, unknown>;
  weightGrams?: number;
  barcode?: string;
}) {
  const vendor = await newVendor(opts.vendor ?? {});
  const sku = await newSku(vendor.id, opts.productId, {
    price: inr(opts.priceMinor ?? 50_000),
    ...(opts.barcode ? { barcode: opts.barcode } : {}),
  });
  if (opts.weightGrams) {
    await env.DB.prepare("update skus set weight_grams = ? where id = ?").bind(opts.weightGrams, sku.id).run();
  }
  const warehouseIds: string[] = [];
  for (const w of opts.warehouses) {
    const wh = await newWarehouse(vendor.id, { lat: w.at.lat, lng: w.at.lng });
    warehouseIds.push(wh.id);
    const r = await api("PUT", `/v1/skus/${sku.id}/stock`, {
      token: ADMIN,
      body: { warehouseId: wh.id, onHand: w.onHand, reason: "count" },
    });
    if (r.status !== 200) throw new Error(`stock: ${r.status} ${JSON.stringify(r.body)}`);
  }
  return { vendorId: vendor.id as string, skuId: sku.id as string, barcode: sku.barcode as string, warehouseIds };
}

/**
 * One product, two vendors: A sells it from a warehouse 2 km east of Bengaluru and one 60 km east,
 * B from one of its own 40 km east, each stocked with `onHand`: room for a move to either.
 */
export async function reassignableMarket(onHand: number) {
  const product = await newProduct();
  const a = await offer({
    productId: product.id,
    warehouses: [
      { at: east(BENGALURU, 2), onHand },
      { at: east(BENGALURU, 60), onHand },
    ],
  });
  const b = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 40), onHand }] });
  return { product, a, b };
}

export const shipToAt = (at = BENGALURU) => ({
  name: "Asha Rao",
  address: { line1: "12 MG Road", city: "Bengaluru", postalCode: "560001", country: "IN" },
  lat: at.lat,
  lng: at.lng,
});

export type CartLine = { skuId?: string; productId?: string; qty: number };

export function quote(token: string, lines: CartLine[], at = BENGALURU) {
  return api("POST", "/v1/routing/quote", { token, body: { lines, shipTo: shipToAt(at) } });
}

export function order(token: string, lines: CartLine[], at = BENGALURU) {
  return api("POST", "/v1/checkout", {
    token,
    body: { lines, shipTo: shipToAt(at) },
    headers: { "Idempotency-Key": uid("idem-") },
  });
}

/** The hold rows the SKU's object keeps for an order, by warehouse. */
export async function holdsOf(skuId: string, orderId: string) {
  const row = await env.DB.prepare("select hold_id as h from orders where id = ?").bind(orderId).first<{ h: string }>();
  return env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId)).holdsOf(row!.h);
}

/**
 * One product offered by two vendors near Bengaluru, 3 units each: A's offer, nearer and cheaper
 * (50,000), is the one routing picks; B's, farther and dearer (55,000), is where ops move lines.
 */
export async function nearAndDearOffers() {
  const product = await newProduct();
  const a = await offer({
    productId: product.id,
    priceMinor: 50_000,
    warehouses: [{ at: east(BENGALURU, 3), onHand: 3 }],
  });
  const b = await offer({
    productId: product.id,
    priceMinor: 55_000,
    warehouses: [{ at: east(BENGALURU, 40), onHand: 3 }],
  });
  return { product, a, b };
}

/** A reassignable market (`reassignableMarket`) and a paid order of `qty` units of `a`, from its nearer warehouse. */
export async function paidReassignableOrder(onHand: number, qty: number) {
  const market = await reassignableMarket(onHand);
  const shopper = await newCustomer();
  const placed = await order(shopper.token, [{ skuId: market.a.skuId, qty }]);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  expect((await pay(shopper.token, placed.body.payment.id)).body.status).toBe("paid");
  return { ...market, orderId: placed.body.order.id as string, sub: placed.body.order.subOrders[0] };
}

/**
 * A paid order of two sub-orders: `qty` units of a product routed to A (3 km east), and one unit
 * of another item of B, whose offer of the same product is 300 km east (far enough that routing
 * keeps the product line with A): room for A's units to merge into B's sub-order.
 */
export async function paidMergeableOrder(qty: number) {
  const product = await newProduct();
  const a = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 3), onHand: 5 }] });
  const b = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 300), onHand: 5 }] });
  const bOther = await api("POST", "/v1/skus", {
    token: ADMIN,
    body: {
      vendorId: b.vendorId,
      productId: (await newProduct()).id,
      code: `OTHER-${b.skuId}`,
      title: "Another item of B",
      price: inr(7_000),
      barcode: `77${Date.now()}${Math.floor(Math.random() * 1000)}`,
      lowStockThreshold: 0,
    },
  });
  await api("PUT", `/v1/skus/${bOther.body.id}/stock`, {
    token: ADMIN,
    body: { warehouseId: b.warehouseIds[0], onHand: 5, reason: "count" },
  });
  const shopper = await newCustomer();
  const placed = await order(shopper.token, [
    { productId: product.id, qty },
    { skuId: bOther.body.id, qty: 1 },
  ]);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  await pay(shopper.token, placed.body.payment.id);
  const subOf = (vendorId: string) =>
    placed.body.order.subOrders.find((x: { vendorId: string }) => x.vendorId === vendorId);
  return { a, b, bOtherId: bOther.body.id as string, placed, subA: subOf(a.vendorId), subB: subOf(b.vendorId) };
}
