import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { retryPendingRefunds } from "../../src/jobs/pending-refunds";
import { behaveFor, deliver, settleIntent } from "../stripe-fake/control";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { BENGALURU, checkout, stockedSku } from "../support/marketplace";

/**
 * A return whose refund Stripe refuses tells the shopper nothing of it; the job's payment tells
 * it once, with the amount (the shopper's side of "a return's refund is announced when paid").
 */

const step = (token: string, sub: string, name: string, body?: unknown, headers?: Record<string, string>) =>
  api("POST", `/v1/sub-orders/${sub}/${name}`, {
    token,
    ...(body === undefined ? {} : { body }),
    ...(headers ? { headers } : {}),
  });

/** A paid (through the fake and its webhook), shipped and delivered order of two units of one SKU. */
async function deliveredOrder(priceMinor: number) {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor });
  const token = await tokenFor("vendor", { vendorId: s.vendorId });
  const barcode = (await api("GET", `/v1/skus/${s.skuId}`, { token: ADMIN })).body.barcode as string;
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }]);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const paymentId = placed.body.payment.id as string;
  const { event } = await settleIntent(paymentId, "succeeded");
  expect((await deliver(event)).status).toBe(200);
  const sub = placed.body.order.subOrders[0].id as string;
  expect((await step(token, sub, "confirm")).status).toBe(200);
  expect((await step(token, sub, "pack", { scanned: [barcode, barcode] })).status).toBe(200);
  const awb = `${Date.now()}`.slice(-9) + `${Math.floor(Math.random() * 1e4)}`.padStart(4, "0");
  expect((await step(token, sub, "dispatch", { carrier: "delhivery", awb })).status).toBe(200);
  expect((await step(token, sub, "deliver")).status).toBe(200);
  const lineId = (await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN })).body.lines[0].id as string;
  return { token, sub, lineId, paymentId, orderId: placed.body.order.id as string };
}

/** The order's refund messages to the shopper, in the order written. */
async function refundMessages(orderId: string) {
  const rows = await env.DB.prepare(
    "select type, payload from outbox where order_id = ? and type like 'order.refund%' order by id",
  )
    .bind(orderId)
    .all<{ type: string; payload: string }>();
  return rows.results.map((r) => [r.type, JSON.parse(r.payload).refundedMinor]);
}

type Order = Awaited<ReturnType<typeof deliveredOrder>>;

const returnOne = (o: Order, key: string) =>
  step(
    o.token,
    o.sub,
    "return",
    { lines: [{ lineId: o.lineId, qty: 1, restockable: false }], reason: "damaged" },
    { "Idempotency-Key": key },
  );

describe("a return's refund the provider refuses", () => {
  it("tells the shopper nothing until the job pays it, then once with the amount", async () => {
    const o = await deliveredOrder(1_500);
    await behaveFor(o.paymentId, { failRefunds: true });
    const returned = await returnOne(o, uid("ret-"));
    expect(returned.status, JSON.stringify(returned.body)).toBe(502);
    expect(await refundMessages(o.orderId)).toEqual([]);

    await behaveFor(o.paymentId, { failRefunds: false });
    await retryPendingRefunds(env, new Date(Date.now() + 10 * 60_000));
    expect(await refundMessages(o.orderId)).toEqual([["order.refund_sent", 1_500]]);
    await retryPendingRefunds(env, new Date(Date.now() + 20 * 60_000));
    expect(await refundMessages(o.orderId)).toEqual([["order.refund_sent", 1_500]]);
  });

  it("paid by the client's retry of the return: told once, and the job adds nothing", async () => {
    const o = await deliveredOrder(1_700);
    const key = uid("ret-");
    await behaveFor(o.paymentId, { failRefunds: true });
    expect((await returnOne(o, key)).status).toBe(502);
    expect(await refundMessages(o.orderId)).toEqual([]);

    await behaveFor(o.paymentId, { failRefunds: false });
    const retried = await returnOne(o, key);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(await refundMessages(o.orderId)).toEqual([["order.refund_sent", 1_700]]);
    await retryPendingRefunds(env, new Date(Date.now() + 10 * 60_000));
    expect((await returnOne(o, key)).status).toBe(200);
    expect(await refundMessages(o.orderId)).toEqual([["order.refund_sent", 1_700]]);
  });
});
