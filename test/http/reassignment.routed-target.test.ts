import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { inr, newProduct, newSku } from "../support/catalog";
import { BENGALURU, pay } from "../support/marketplace";
import { east, offer, order } from "./routing.fixtures";

const reassign = (token: string, subOrderId: string, body: unknown) =>
  api("POST", `/v1/sub-orders/${subOrderId}/reassign`, { token, body, headers: { "Idempotency-Key": uid("ra-") } });

let seq = 0;
/** A Delhivery AWB (13-14 digits) no other test of this file uses. */
const awb = () => `8${String(Date.now() % 1e9).padStart(9, "0")}${String(++seq).padStart(4, "0")}`;

/**
 * A paid order of two sub-orders: one unit of a product at A (3 km east), and one unit of another
 * item at B. B also sells A's variant (same GTIN) from the nearest warehouse of all, in stock; C sells
 * it 40 km east. Routing would rank B first for A's units, were B's sub-order able to take them.
 */
async function orderWithNearestVendorInIt() {
  const product = await newProduct();
  const a = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 3), onHand: 3 }] });
  const b = await offer({
    productId: product.id,
    barcode: a.barcode,
    warehouses: [{ at: east(BENGALURU, 1), onHand: 5 }],
  });
  const c = await offer({
    productId: product.id,
    barcode: a.barcode,
    warehouses: [{ at: east(BENGALURU, 40), onHand: 5 }],
  });
  const bOther = await newSku(b.vendorId, (await newProduct()).id, { price: inr(7_000), lowStockThreshold: 0 });
  const stocked = await api("PUT", `/v1/skus/${bOther.id}/stock`, {
    token: ADMIN,
    body: { warehouseId: b.warehouseIds[0], onHand: 5, reason: "count" },
  });
  expect(stocked.status).toBe(200);
  const shopper = await newCustomer();
  const placed = await order(shopper.token, [
    { skuId: a.skuId, qty: 1 },
    { skuId: bOther.id, qty: 1 },
  ]);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  expect((await pay(shopper.token, placed.body.payment.id)).body.status).toBe("paid");
  const subOf = (vendorId: string) =>
    placed.body.order.subOrders.find((x: { vendorId: string }) => x.vendorId === vendorId).id as string;
  const bToken = await tokenFor("vendor", { vendorId: b.vendorId });
  return { a, b, c, orderId: placed.body.order.id as string, subA: subOf(a.vendorId), subB: subOf(b.vendorId), bToken };
}

/** B's sub-order confirmed, packed and dispatched: a parcel lines cannot join. */
async function dispatch(subB: string, bToken: string) {
  expect((await api("POST", `/v1/sub-orders/${subB}/confirm`, { token: bToken })).status).toBe(200);
  const barcode = (await api("GET", `/v1/sub-orders/${subB}`, { token: bToken })).body.lines[0].barcode;
  const packed = await api("POST", `/v1/sub-orders/${subB}/pack`, { token: bToken, body: { scanned: [barcode] } });
  expect(packed.status).toBe(200);
  const sent = await api("POST", `/v1/sub-orders/${subB}/dispatch`, {
    token: bToken,
    body: { carrier: "delhivery", awb: awb() },
  });
  expect(sent.status, JSON.stringify(sent.body)).toBe(200);
}

describe("reassignment with target {}: routing picks only vendors the lines can land at", () => {
  it("passes over a vendor whose sub-order of the order is dispatched and moves the lines to the next", async () => {
    const o = await orderWithNearestVendorInIt();
    await dispatch(o.subB, o.bToken);
    const ops = await tokenFor("ops");

    const r = await reassign(ops, o.subA, { target: {}, reason: "A out of packaging" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const toC = r.body.subOrders.find((s: { vendorId: string }) => s.vendorId === o.c.vendorId);
    expect(toC.lines.map((l: { skuId: string; qty: number }) => [l.skuId, l.qty])).toEqual([[o.c.skuId, 1]]);
    const dispatched = r.body.subOrders.find((s: { id: string }) => s.id === o.subB);
    expect(dispatched.status).toBe("dispatched");
    expect(dispatched.lines.map((l: { skuId: string }) => l.skuId)).not.toContain(o.b.skuId);
  });

  it("passes over a vendor whose sub-order of the order was cancelled for another reason", async () => {
    const o = await orderWithNearestVendorInIt();
    const cancelled = await api("POST", `/v1/sub-orders/${o.subB}/cancel`, {
      token: o.bToken,
      body: { reason: "gone" },
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    const ops = await tokenFor("ops");

    const r = await reassign(ops, o.subA, { target: {}, reason: "A out of packaging" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const toC = r.body.subOrders.find((s: { vendorId: string }) => s.vendorId === o.c.vendorId);
    expect(toC.lines.map((l: { skuId: string; qty: number }) => [l.skuId, l.qty])).toEqual([[o.c.skuId, 1]]);
  });

  it("still refuses a named vendor whose sub-order cannot take lines, with the reason", async () => {
    const o = await orderWithNearestVendorInIt();
    await dispatch(o.subB, o.bToken);
    const ops = await tokenFor("ops");

    const r = await reassign(ops, o.subA, { target: { vendorId: o.b.vendorId }, reason: "ops asked for B" });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: "ILLEGAL_TRANSITION" });
    expect(r.body.detail).toContain("dispatched");
  });
});
