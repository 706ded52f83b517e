import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { AUTO_REVIEW_NOTE } from "../../src/review/review";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";

const NOTE = "card used from three countries today";
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

async function paidOrder(priceMinor = 49_900) {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor });
  const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
  const ops = await tokenFor("ops");
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
  expect(placed.status).toBe(201);
  const paid = await pay(shopper.token, placed.body.payment.id);
  expect(paid.status).toBe(200);
  return {
    s,
    vendor,
    ops,
    shopper,
    placed,
    orderId: placed.body.order.id as string,
    subId: paid.body.subOrders[0].id as string,
  };
}

/** Everything a vendor can read about an order and its sub-order, as one comparable record. */
async function whatTheVendorSees(vendor: string, vendorId: string, orderId: string, subId: string) {
  const inList = (r: { body: any }) => (r.body.items ?? []).some((o: any) => o.id === orderId || o.id === subId);
  return {
    order: (await api("GET", `/v1/orders/${orderId}`, { token: vendor })).status,
    orders: inList(await api("GET", "/v1/orders", { token: vendor })),
    ordersOfVendor: inList(await api("GET", `/v1/orders?vendorId=${vendorId}`, { token: vendor })),
    ordersPaid: inList(await api("GET", "/v1/orders?status=paid", { token: vendor })),
    subOrder: (await api("GET", `/v1/sub-orders/${subId}`, { token: vendor })).status,
    subOrders: inList(await api("GET", "/v1/sub-orders", { token: vendor })),
    subOrdersPaid: inList(await api("GET", `/v1/sub-orders?status=paid&vendorId=${vendorId}`, { token: vendor })),
    photo: (await api("GET", `/v1/sub-orders/${subId}/photo`, { token: vendor })).status,
    earnings: (await api("GET", `/v1/vendors/${vendorId}/earnings/sub-orders`, { token: vendor })).body.items.some(
      (e: { subOrderId: string }) => e.subOrderId === subId,
    ),
    // The vendor's only order (a fresh vendor): its money is the whole of what is pending.
    pending: (await api("GET", `/v1/vendors/${vendorId}/earnings`, { token: vendor })).body.pendingMinor > 0,
  };
}

const noteIn = (body: unknown) => JSON.stringify(body).includes(NOTE);

describe("an order held for review, on every read path", () => {
  it("does not exist for its vendor until approved, then reads as any other", async () => {
    const { s, vendor, ops, orderId, subId } = await paidOrder();
    const upload = await api("PUT", `/v1/sub-orders/${subId}/photo`, {
      token: ops,
      rawBody: PNG,
      headers: { "content-type": "image/png" },
    });
    expect(upload.status).toBe(204);
    expect(await whatTheVendorSees(vendor, s.vendorId, orderId, subId)).toEqual({
      order: 200,
      orders: true,
      ordersOfVendor: true,
      ordersPaid: true,
      subOrder: 200,
      subOrders: true,
      subOrdersPaid: true,
      photo: 200,
      earnings: true,
      pending: true,
    });

    expect((await api("POST", `/v1/orders/${orderId}/flag`, { token: ops, body: { note: NOTE } })).status).toBe(200);
    expect(await whatTheVendorSees(vendor, s.vendorId, orderId, subId)).toEqual({
      order: 404,
      orders: false,
      ordersOfVendor: false,
      ordersPaid: false,
      subOrder: 404,
      subOrders: false,
      subOrdersPaid: false,
      photo: 404,
      earnings: false,
      pending: false,
    });
    const upload2 = await api("PUT", `/v1/sub-orders/${subId}/photo`, {
      token: vendor,
      rawBody: PNG,
      headers: { "content-type": "image/png" },
    });
    expect(upload2.status).toBe(404);
    // Ops still list and read it.
    const opsList = await api("GET", `/v1/orders?vendorId=${s.vendorId}`, { token: ops });
    expect(opsList.body.items.map((o: any) => o.id)).toContain(orderId);
    expect((await api("GET", `/v1/sub-orders?vendorId=${s.vendorId}`, { token: ops })).body.items).toHaveLength(1);

    expect((await api("POST", `/v1/orders/${orderId}/approve`, { token: ops })).status).toBe(200);
    expect(await whatTheVendorSees(vendor, s.vendorId, orderId, subId)).toEqual({
      order: 200,
      orders: true,
      ordersOfVendor: true,
      ordersPaid: true,
      subOrder: 200,
      subOrders: true,
      subOrdersPaid: true,
      photo: 200,
      earnings: true,
      pending: true,
    });
  });

  it("keeps its credit notes from its vendor while held", async () => {
    const { vendor, ops, orderId, subId } = await paidOrder();
    const cancelled = await api("POST", `/v1/sub-orders/${subId}/cancel`, { token: ops, body: { reason: "fraud" } });
    expect(cancelled.status).toBe(200);
    const note = await env.DB.prepare("select id from credit_notes where order_id = ?")
      .bind(orderId)
      .first<{ id: string }>();
    const pdf = () => api("GET", `/v1/credit-notes/${note!.id}/pdf`, { token: vendor });
    expect((await pdf()).status).toBe(200);
    expect((await api("POST", `/v1/orders/${orderId}/flag`, { token: ops, body: { note: NOTE } })).status).toBe(200);
    expect((await pdf()).status).toBe(404);
    expect((await api("GET", `/v1/credit-notes/${note!.id}/pdf`, { token: ops })).status).toBe(200);
    expect((await api("POST", `/v1/orders/${orderId}/approve`, { token: ops })).status).toBe(200);
    expect((await pdf()).status).toBe(200);
  });

  it("shows the ops note to ops and admins only: not to the customer, nor to the vendor once approved", async () => {
    const { vendor, ops, shopper, orderId, subId } = await paidOrder();
    expect((await api("POST", `/v1/orders/${orderId}/flag`, { token: ops, body: { note: NOTE } })).status).toBe(200);

    for (const token of [ops, ADMIN]) {
      const view = (await api("GET", `/v1/orders/${orderId}`, { token })).body;
      expect(view.review).toEqual({ held: true, note: NOTE });
      expect(view.timeline.find((e: any) => e.type === "order.flagged").reason).toBe(NOTE);
    }
    const mine = await api("GET", `/v1/orders/${orderId}`, { token: shopper.token });
    expect(mine.status).toBe(200);
    expect(mine.body.review).toEqual({ held: true, note: null });
    expect(noteIn(mine.body)).toBe(false);
    expect(noteIn((await api("GET", "/v1/orders", { token: shopper.token })).body)).toBe(false);

    expect((await api("POST", `/v1/orders/${orderId}/approve`, { token: ops })).status).toBe(200);
    const after = await api("GET", `/v1/orders/${orderId}`, { token: shopper.token });
    expect(after.body.review).toBeNull();
    expect(noteIn(after.body)).toBe(false);
    const vendorView = await api("GET", `/v1/orders/${orderId}`, { token: vendor });
    expect(vendorView.status).toBe(200);
    expect(vendorView.body.review).toBeNull();
    expect(noteIn(vendorView.body)).toBe(false);
    const detail = await api("GET", `/v1/sub-orders/${subId}`, { token: vendor });
    expect(detail.status).toBe(200);
    expect(noteIn(detail.body)).toBe(false);
    const confirmed = await api("POST", `/v1/sub-orders/${subId}/confirm`, { token: vendor });
    expect(confirmed.status).toBe(200);
    expect(noteIn(confirmed.body)).toBe(false);
    expect((await api("GET", `/v1/orders/${orderId}`, { token: ops })).body.review).toEqual({
      held: false,
      note: NOTE,
    });
  });

  it("held by the value rule at checkout: the shopper is told it is held, not why", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 2 }], priceMinor: 5_000_000 });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    expect(placed.status).toBe(201);
    expect(placed.body.order.review).toEqual({ held: true, note: null });
    expect(JSON.stringify(placed.body)).not.toContain(AUTO_REVIEW_NOTE);
    const paid = await pay(shopper.token, placed.body.payment.id);
    expect(JSON.stringify(paid.body)).not.toContain(AUTO_REVIEW_NOTE);
    const opsView = await api("GET", `/v1/orders/${placed.body.order.id}`, { token: ADMIN });
    expect(opsView.body.review).toEqual({ held: true, note: AUTO_REVIEW_NOTE });
  });
});
