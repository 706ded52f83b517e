import { expect } from "vitest";
import { deliver, settleIntent } from "../stripe-fake/control";
import { ADMIN, api, newCustomer, tokenFor } from "./api";
import { checkout, stockedSku } from "./marketplace";

/** Units each SKU of `deliveredThroughStripe` starts with. */
export const ON_HAND = 50;

const awb = () => `${Date.now()}`.slice(-9) + `${Math.floor(Math.random() * 1e4)}`.padStart(4, "0");

/** A sub-order step (confirm, pack, dispatch, deliver, return...) as its vendor takes it. */
export function step(token: string, sub: string, name: string, body?: unknown, headers?: Record<string, string>) {
  return api("POST", `/v1/sub-orders/${sub}/${name}`, {
    token,
    ...(body === undefined ? {} : { body }),
    ...(headers ? { headers } : {}),
  });
}

/** A paid (through the fake and its webhook), shipped and delivered order of `qty` units of one new SKU. */
export async function deliveredThroughStripe(priceMinor: number, qty: number) {
  const s = await stockedSku({ warehouses: [{ at: { lat: 12.97, lng: 77.59 }, onHand: ON_HAND }], priceMinor });
  const token = await tokenFor("vendor", { vendorId: s.vendorId });
  const barcode = (await api("GET", `/v1/skus/${s.skuId}`, { token: ADMIN })).body.barcode as string;
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty }]);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const paymentId = placed.body.payment.id as string;
  const { event } = await settleIntent(paymentId, "succeeded");
  expect((await deliver(event)).status).toBe(200);
  const sub = placed.body.order.subOrders[0].id as string;
  expect((await step(token, sub, "confirm")).status).toBe(200);
  expect((await step(token, sub, "pack", { scanned: Array.from({ length: qty }, () => barcode) })).status).toBe(200);
  expect((await step(token, sub, "dispatch", { carrier: "delhivery", awb: awb() })).status).toBe(200);
  expect((await step(token, sub, "deliver")).status).toBe(200);
  const lineId = (await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN })).body.lines[0].id as string;
  return { token, sub, lineId, paymentId, skuId: s.skuId, orderId: placed.body.order.id as string };
}
