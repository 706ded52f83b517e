import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { inr, newProduct } from "../support/catalog";
import { BENGALURU, expectStockEquation, pay, stockedSku, stockOf } from "../support/marketplace";
import { east, offer, order, quote, shipToAt } from "./routing.fixtures";

const UNRELIABLE = {
  avgDispatchHours: 30,
  onTimeRateBps: 5_500,
  breachRateBps: 2_000,
  cancelRateBps: 1_000,
  sampleSize: 40,
};
const RELIABLE = { avgDispatchHours: 5, onTimeRateBps: 9_800, breachRateBps: 50, cancelRateBps: 50, sampleSize: 40 };

async function setScore(vendorId: string, score: object) {
  const r = await api("PUT", `/v1/routing/vendor-scores/${vendorId}`, { token: ADMIN, body: score });
  expect(r.status).toBe(200);
}

async function vendorCard(vendorId: string, maxKm: number, priceMinor: number, transitDays: number) {
  const r = await api("POST", "/v1/rate-cards", {
    token: ADMIN,
    body: { vendorId, maxKm, maxWeightGrams: 5_000, price: inr(priceMinor), transitDays },
  });
  expect(r.status).toBe(201);
  return r.body;
}

describe("routing quote", () => {
  it("quotes the nearest of two equal vendors for a product line, and reserves nothing", async () => {
    const product = await newProduct();
    const far = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 40), onHand: 5 }] });
    const near = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 4), onHand: 5 }] });
    const shopper = await newCustomer();
    const r = await quote(shopper.token, [{ productId: product.id, qty: 2 }]);
    expect(r.status).toBe(200);
    expect(r.body.shipments).toHaveLength(1);
    const [s] = r.body.shipments;
    expect(s).toMatchObject({
      vendorId: near.vendorId,
      warehouseId: near.warehouseIds[0],
      lines: [{ lineIndex: 0, skuId: near.skuId, productId: product.id, qty: 2, unitPrice: inr(50_000) }],
      shipping: inr(0),
    });
    expect(Date.parse(s.promisedDeliveryBy)).toBeGreaterThan(Date.parse(s.promisedDispatchBy));
    expect(r.body.total).toEqual(inr(100_000));
    expect((await stockOf(near.skuId)).totals).toMatchObject({ available: 5, held: 0 });
    expect((await stockOf(far.skuId)).totals).toMatchObject({ available: 5, held: 0 });
  });

  it("sends a product line to a reliable vendor a little farther over a slow, unreliable nearer one", async () => {
    const product = await newProduct();
    const near = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 3), onHand: 5 }] });
    const far = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 25), onHand: 5 }] });
    await setScore(near.vendorId, UNRELIABLE);
    await setScore(far.vendorId, RELIABLE);
    const shopper = await newCustomer();
    const r = await quote(shopper.token, [{ productId: product.id, qty: 1 }]);
    expect(r.body.shipments.map((s: any) => s.vendorId)).toEqual([far.vendorId]);
  });

  it("ships a cart one warehouse can cover as one shipment with one shipping charge", async () => {
    const vendor = await stockedSku({
      warehouses: [
        { at: east(BENGALURU, 2), onHand: 5 },
        { at: east(BENGALURU, 12), onHand: 5 },
      ],
    });
    const [whX, whBoth] = vendor.warehouseIds as [string, string];
    // A second SKU of the same vendor, stocked only in the second warehouse (and the first holds none).
    const product = await newProduct();
    const other = await api("POST", "/v1/skus", {
      token: ADMIN,
      body: {
        vendorId: vendor.vendorId,
        productId: product.id,
        code: uid("SKU-"),
        title: "Second item",
        price: inr(10_000),
        barcode: uid("89"),
        lowStockThreshold: 1,
      },
    });
    await api("PUT", `/v1/skus/${other.body.id}/stock`, {
      token: ADMIN,
      body: { warehouseId: whBoth, onHand: 4, reason: "count" },
    });
    await vendorCard(vendor.vendorId, 100, 4_000, 1);
    const shopper = await newCustomer();
    const lines = [
      { skuId: vendor.skuId, qty: 1 },
      { skuId: other.body.id, qty: 2 },
    ];
    const q = await quote(shopper.token, lines);
    expect(q.status).toBe(200);
    expect(q.body.shipments).toHaveLength(1);
    expect(q.body.shipments[0].warehouseId).toBe(whBoth);
    expect(q.body.shipments[0].shipping).toEqual(inr(4_000));
    expect(q.body.total).toEqual(inr(49_900 + 2 * 10_000 + 4_000));
    expect(whX).not.toBe(whBoth);

    const placed = await order(shopper.token, lines);
    expect(placed.status).toBe(201);
    const sub = placed.body.order.subOrders[0];
    expect(sub.lines.map((l: any) => l.warehouseId)).toEqual([whBoth, whBoth]);
    expect(sub.shipping).toEqual(inr(4_000));
    expect(placed.body.order.total).toEqual(q.body.total);
  });

  it("answers out of stock like checkout, with the product for product lines", async () => {
    const product = await newProduct();
    await offer({ productId: product.id, warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const shopper = await newCustomer();
    const r = await quote(shopper.token, [{ productId: product.id, qty: 3 }]);
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("OUT_OF_STOCK");
    expect(r.body.shortages).toEqual([{ lineIndex: 0, productId: product.id, requested: 3, available: 1 }]);
  });

  it("refuses unknown products, unknown postal codes and malformed lines with 422", async () => {
    const product = await newProduct();
    const o = await offer({ productId: product.id, warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const shopper = await newCustomer();
    const post = (body: unknown) => api("POST", "/v1/routing/quote", { token: shopper.token, body });
    const unknownProduct = await post({ lines: [{ productId: "prd_nope", qty: 1 }], shipTo: shipToAt() });
    expect(unknownProduct.status).toBe(422);
    expect(unknownProduct.body.errors).toEqual([{ path: "lines.0.productId", message: "unknown product" }]);
    const noCoordinates = {
      ...shipToAt(),
      lat: undefined,
      lng: undefined,
      address: { ...shipToAt().address, postalCode: "999999" },
    };
    const unknownCode = await post({ lines: [{ productId: product.id, qty: 1 }], shipTo: noCoordinates });
    expect(unknownCode.status).toBe(422);
    expect(unknownCode.body.errors).toEqual([
      { path: "shipTo.address.postalCode", message: "unknown postal code; send lat and lng" },
    ]);
    const both = await post({ lines: [{ productId: product.id, skuId: o.skuId, qty: 1 }], shipTo: shipToAt() });
    expect(both.status).toBe(422);
    const neither = await post({ lines: [{ qty: 1 }], shipTo: shipToAt() });
    expect(neither.status).toBe(422);
    const overlap = await post({
      lines: [
        { skuId: o.skuId, qty: 1 },
        { productId: product.id, qty: 1 },
      ],
      shipTo: shipToAt(),
    });
    expect(overlap.status).toBe(422);
    expect(overlap.body.errors[0].path).toBe("lines.1.productId");
  });

  it("is for customers, ops and admins", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const body = { lines: [{ skuId: s.skuId, qty: 1 }], shipTo: shipToAt() };
    expect((await api("POST", "/v1/routing/quote", { body })).status).toBe(401);
    const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
    expect((await api("POST", "/v1/routing/quote", { token: vendor, body })).status).toBe(403);
    for (const role of ["ops", "admin"] as const) {
      expect((await api("POST", "/v1/routing/quote", { token: await tokenFor(role), body })).status).toBe(200);
    }
  });
});

describe("checkout with routing", () => {
  it("charges a product line the offer routing picks and explains it to ops only", async () => {
    const product = await newProduct();
    const near = await offer({
      productId: product.id,
      priceMinor: 41_000,
      warehouses: [{ at: east(BENGALURU, 5), onHand: 3 }],
    });
    const far = await offer({
      productId: product.id,
      priceMinor: 40_000,
      warehouses: [{ at: east(BENGALURU, 900), onHand: 3 }],
    });
    const shopper = await newCustomer();
    const r = await order(shopper.token, [{ productId: product.id, qty: 2 }]);
    expect(r.status).toBe(201);
    const placed = r.body.order;
    expect(placed.routing).toBeUndefined();
    expect(placed.subOrders.map((s: any) => s.vendorId)).toEqual([near.vendorId]);
    expect(placed.subOrders[0].lines[0]).toMatchObject({ skuId: near.skuId, qty: 2, unitPrice: inr(41_000) });
    expect(placed.total).toEqual(inr(82_000));
    const stored = await env.DB.prepare("select product_id as p from line_items where order_id = ?")
      .bind(placed.id)
      .first<{ p: string }>();
    expect(stored?.p).toBe(product.id);
    expect((await stockOf(near.skuId)).totals).toMatchObject({ held: 2, available: 1 });
    expect((await stockOf(far.skuId)).totals).toMatchObject({ held: 0 });

    const ops = await tokenFor("ops");
    const seen = await api("GET", `/v1/orders/${placed.id}`, { token: ops });
    expect(seen.body.routing.weightsVersion).toBeGreaterThanOrEqual(1);
    const [line] = seen.body.routing.lines;
    expect(line).toMatchObject({
      lineId: placed.subOrders[0].lines[0].id,
      lineIndex: 0,
      productId: product.id,
      chosen: [{ vendorId: near.vendorId, warehouseId: near.warehouseIds[0], skuId: near.skuId, qty: 2 }],
    });
    expect(line.candidates.map((c: any) => c.vendorId)).toEqual([near.vendorId, far.vendorId]);
    expect(Object.keys(line.candidates[0].scores).sort()).toEqual([
      "cost",
      "delivery",
      "distance",
      "reliability",
      "speed",
    ]);
    expect(line.candidates[0].total).toBeGreaterThan(line.candidates[1].total);
    expect(line.reason).toContain(near.warehouseIds[0]);
    for (const who of [shopper.token, await tokenFor("vendor", { vendorId: near.vendorId })]) {
      const view = await api("GET", `/v1/orders/${placed.id}`, { token: who });
      expect(view.status).toBe(200);
      expect(view.body.routing).toBeUndefined();
    }
    const paid = await pay(shopper.token, r.body.payment.id);
    expect(paid.body.status).toBe("paid");
    await expectStockEquation(near.skuId);
  });

  it("charges each vendor's parcels by its rate card, in the sub-order and the order total", async () => {
    const a = await stockedSku({ warehouses: [{ at: east(BENGALURU, 10), onHand: 5 }], priceMinor: 10_000 });
    const b = await stockedSku({ warehouses: [{ at: east(BENGALURU, 500), onHand: 5 }], priceMinor: 20_000 });
    await vendorCard(a.vendorId, 50, 3_000, 1);
    await vendorCard(b.vendorId, 50, 3_000, 1);
    await vendorCard(b.vendorId, 1_000, 9_000, 3);
    const shopper = await newCustomer();
    const r = await order(shopper.token, [
      { skuId: a.skuId, qty: 1 },
      { skuId: b.skuId, qty: 2 },
    ]);
    expect(r.status).toBe(201);
    const subs = new Map(r.body.order.subOrders.map((s: any) => [s.vendorId, s]));
    expect((subs.get(a.vendorId) as any).shipping).toEqual(inr(3_000));
    expect((subs.get(a.vendorId) as any).total).toEqual(inr(13_000));
    expect((subs.get(b.vendorId) as any).shipping).toEqual(inr(9_000));
    expect(r.body.order.total).toEqual(inr(13_000 + 49_000));
    const rows = await env.DB.prepare(
      "select sum(total_minor) as t, sum(shipping_minor) as s, min(promised_delivery_by) as p from sub_orders where order_id = ?",
    )
      .bind(r.body.order.id)
      .first<{ t: number; s: number; p: string }>();
    expect(rows).toMatchObject({ t: 62_000, s: 12_000 });
    expect(Date.parse(rows!.p)).toBeGreaterThan(Date.now());
    const decision = await env.DB.prepare("select weights_version as v from routing_decisions where order_id = ?")
      .bind(r.body.order.id)
      .first<{ v: number }>();
    expect(decision?.v).toBeGreaterThanOrEqual(1);
  });

  it("skips a vendor at its hourly capacity, counting only orders not cancelled", async () => {
    const product = await newProduct();
    const busy = await offer({
      productId: product.id,
      vendor: { hourlyCapacity: 1 },
      warehouses: [{ at: east(BENGALURU, 2), onHand: 10 }],
    });
    const spare = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 60), onHand: 10 }] });
    const shopper = await newCustomer();
    const vendorsOf = (r: any) => r.body.order.subOrders.map((s: any) => s.vendorId);

    const first = await order(shopper.token, [{ productId: product.id, qty: 1 }]);
    expect(vendorsOf(first)).toEqual([busy.vendorId]);
    const second = await order(shopper.token, [{ productId: product.id, qty: 1 }]);
    expect(vendorsOf(second)).toEqual([spare.vendorId]);
    const ops = await tokenFor("ops");
    const why = await api("GET", `/v1/orders/${second.body.order.id}`, { token: ops });
    expect(why.body.routing.lines[0].reason).toContain(`Skipped at their hourly capacity: ${busy.vendorId}`);
    // A SKU line for the capped vendor has nowhere else to go; nothing stays held.
    const refused = await order(shopper.token, [{ skuId: busy.skuId, qty: 1 }]);
    expect(refused.status).toBe(409);
    expect(refused.body.shortages).toEqual([{ lineIndex: 0, skuId: busy.skuId, requested: 1, available: 0 }]);
    expect((await stockOf(busy.skuId)).totals).toMatchObject({ held: 1, available: 9 });

    // Released holds free capacity: cancelling the first order makes room again.
    const cancelled = await api("POST", `/v1/orders/${first.body.order.id}/cancel`, {
      token: shopper.token,
      body: { reason: "changed_mind" },
    });
    expect(cancelled.status).toBe(200);
    const third = await order(shopper.token, [{ skuId: busy.skuId, qty: 1 }]);
    expect(third.status).toBe(201);
    await expectStockEquation(busy.skuId);
  });

  it("replays a product-line checkout with the same Idempotency-Key, holding nothing twice", async () => {
    const product = await newProduct();
    const a = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 3), onHand: 4 }] });
    const b = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 9), onHand: 4 }] });
    const shopper = await newCustomer();
    const body = { lines: [{ productId: product.id, qty: 2 }], shipTo: shipToAt() };
    const send = () =>
      api("POST", "/v1/checkout", { token: shopper.token, body, headers: { "Idempotency-Key": "same-product-key" } });
    const first = await send();
    expect(first.status).toBe(201);
    const [again, concurrent] = await Promise.all([send(), send()]);
    expect(again.body).toEqual(first.body);
    expect(concurrent.body).toEqual(first.body);
    expect((await stockOf(a.skuId)).totals).toMatchObject({ held: 2, available: 2 });
    expect((await stockOf(b.skuId)).totals).toMatchObject({ held: 0, available: 4 });
  });

  it("splits a quantity no single warehouse holds, and ships one parcel per warehouse", async () => {
    const s = await stockedSku({
      warehouses: [
        { at: east(BENGALURU, 1), onHand: 2 },
        { at: east(BENGALURU, 30), onHand: 3 },
      ],
    });
    const shopper = await newCustomer();
    const q = await quote(shopper.token, [{ skuId: s.skuId, qty: 4 }]);
    const parcels = q.body.shipments.map((x: any) => [x.warehouseId, x.lines[0].qty]);
    expect(new Map(parcels)).toEqual(
      new Map([
        [s.warehouseIds[0], 2],
        [s.warehouseIds[1], 2],
      ]),
    );
    const r = await order(shopper.token, [{ skuId: s.skuId, qty: 4 }]);
    expect(r.body.order.subOrders[0].lines.map((l: any) => [l.warehouseId, l.qty])).toEqual([
      [s.warehouseIds[0], 2],
      [s.warehouseIds[1], 2],
    ]);
  });
});

describe("routing data for ops and admins", () => {
  it("versions the weights, lists rate cards and scores, and keeps them from other roles", async () => {
    const ops = await tokenFor("ops");
    const current = await api("GET", "/v1/routing/weights", { token: ops });
    expect(current.status).toBe(200);
    const set = await api("PUT", "/v1/routing/weights", {
      token: ops,
      body: { ...current.body.weights, distance: current.body.weights.distance * 2 },
    });
    expect(set.status).toBe(201);
    expect(set.body.version).toBe(current.body.version + 1);
    const w = set.body.weights;
    expect(w.distance + w.delivery + w.speed + w.reliability + w.cost).toBeCloseTo(1, 3);
    expect(set.body.changes.weights.map((c: any) => c.factor)).toContain("distance");
    const history = await api("GET", "/v1/routing/weights/history?limit=2", { token: ops });
    expect(history.body.items.map((x: any) => x.version)).toEqual([set.body.version, current.body.version]);
    // Restore, so the other tests in this file keep the defaults' balance.
    await api("PUT", "/v1/routing/weights", { token: ops, body: current.body.weights });

    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const card = await vendorCard(s.vendorId, 20, 1_500, 1);
    const cards = await api("GET", `/v1/rate-cards?vendorId=${s.vendorId}`, { token: ops });
    expect(cards.body.items).toEqual([card]);
    const wrongCurrency = await api("POST", "/v1/rate-cards", {
      token: ops,
      body: {
        vendorId: null,
        maxKm: 10,
        maxWeightGrams: 10,
        price: { amountMinor: 1, currency: "USD" },
        transitDays: 1,
      },
    });
    expect(wrongCurrency.status).toBe(422);
    expect((await api("DELETE", `/v1/rate-cards/${card.id}`, { token: ops })).status).toBe(204);
    expect((await api("DELETE", `/v1/rate-cards/${card.id}`, { token: ops })).status).toBe(404);
    await setScore(s.vendorId, RELIABLE);
    const scores = await api("GET", "/v1/routing/vendor-scores", { token: ops });
    expect(scores.body.items.find((x: any) => x.vendorId === s.vendorId)).toMatchObject(RELIABLE);

    const shopper = await newCustomer();
    const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
    for (const token of [shopper.token, vendor]) {
      for (const [method, path] of [
        ["GET", "/v1/routing/weights"],
        ["GET", "/v1/rate-cards"],
        ["GET", "/v1/routing/vendor-scores"],
      ] as const) {
        expect((await api(method, path, { token })).status, `${method} ${path}`).toBe(403);
      }
    }
  });

  it("documents every routing route with its roles", async () => {
    const doc = (await api("GET", "/v1/openapi.json")).body;
    const roles = (path: string, method: string) =>
      Object.entries(doc.paths as Record<string, any>).find(([p]) => p.endsWith(path))?.[1]?.[method]?.["x-roles"];
    expect(roles("/routing/quote", "post")).toEqual(["customer", "ops", "admin"]);
    expect(roles("/sub-orders/{id}/reassign", "post")).toEqual(["ops", "admin"]);
    expect(roles("/routing/weights", "put")).toEqual(["ops", "admin"]);
    expect(roles("/rate-cards", "post")).toEqual(["ops", "admin"]);
    expect(doc.components.schemas.Order.properties.routing).toBeDefined();
  });

  it("times the decision inside the Worker for a 10-line cart over 50 vendors x 3 warehouses", async () => {
    const r = await api("POST", "/v1/routing/bench", { token: ADMIN, body: { iterations: 50 } });
    expect(r.status).toBe(200);
    expect(r.body.shape).toMatchObject({ lines: 10, vendors: 50, warehousesPerVendor: 3 });
    expect(r.body.shape.candidates).toBe(1500);
    expect(r.body.ms.p50).toBeGreaterThan(0);
  });
});
