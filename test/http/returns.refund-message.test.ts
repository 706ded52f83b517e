import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { OrderEventMessage } from "../../src/contracts/events";
import { displayAmount } from "../../src/domain/money";
import { retryPendingRefunds } from "../../src/jobs/pending-refunds";
import { compose } from "../../src/notifications/compose";
import { returnSubOrder } from "../../src/returns/returns";
import { api, newCustomer, tokenFor, uid } from "../support/api";
import { type Call, d1Batches, lost } from "../support/bindings";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";

/**
 * A return's refund is told to the shopper once it is paid, by whichever pays it (the return's
 * request, a retry of it, the `pending-refunds` job), with the amount: never before, never twice.
 */

const PRICE = 150_000;

const step = (token: string, sub: string, name: string, body?: unknown) =>
  api("POST", `/v1/sub-orders/${sub}/${name}`, { token, ...(body === undefined ? {} : { body }) });

/** A paid order of two units of one SKU, delivered: one of them can be returned. */
async function deliveredOrder() {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: PRICE });
  const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }]);
  const paid = await pay(shopper.token, placed.body.payment.id);
  expect(paid.body.status).toBe("paid");
  const sub = paid.body.subOrders[0].id as string;
  expect((await step(vendor, sub, "confirm")).status).toBe(200);
  const line = (await api("GET", `/v1/sub-orders/${sub}`, { token: vendor })).body.lines[0];
  expect((await step(vendor, sub, "pack", { scanned: [line.barcode, line.barcode] })).status).toBe(200);
  const awb = `${Date.now()}`.slice(-9) + `${Math.floor(Math.random() * 1e4)}`.padStart(4, "0");
  expect((await step(vendor, sub, "dispatch", { carrier: "delhivery", awb })).status).toBe(200);
  expect((await step(vendor, sub, "deliver")).body.status).toBe("delivered");
  return {
    vendorId: s.vendorId,
    vendor,
    sub,
    lineId: line.id as string,
    orderId: paid.body.id as string,
    customerId: shopper.customerId,
  };
}

type Order = Awaited<ReturnType<typeof deliveredOrder>>;

/** One unit back over HTTP, under the caller's key. */
const returnOne = (o: Order, key: string) =>
  api("POST", `/v1/sub-orders/${o.sub}/return`, {
    token: o.vendor,
    body: { lines: [{ lineId: o.lineId, qty: 1, restockable: true }], reason: "wrong size" },
    headers: { "Idempotency-Key": key },
  });

/** D1 gone for the batch that records a refund, and only for it: the refund's first try fails. */
const refundWriteFails = d1Batches((batch: Call) => async (...args) => {
  const statements = args[0] as { statement?: string }[];
  return statements.some((s) => /insert into "refunds"/i.test(s.statement ?? "")) ? lost() : batch(...args);
});

/** The same return as `returnOne`, through the use case with bindings of the test's choosing. */
const returnWith = (bindings: Env, o: Order, key: string, now: Date) =>
  returnSubOrder(bindings, undefined, {
    subOrderId: o.sub,
    who: { role: "vendor", tokenId: "t", vendorId: o.vendorId },
    actor: { role: "vendor", id: o.vendorId },
    lines: [{ lineId: o.lineId, qty: 1, restockable: true }],
    reason: "wrong size",
    key,
    now,
  });

/** What the shopper is told by the order's outbox rows after `afterId`, as `compose` makes it. */
async function toldShopper(o: Order, afterId: number) {
  const rows = await env.DB.prepare(
    "select id, type, order_id as orderId, created_at as at, payload from outbox where order_id = ? and id > ? order by id",
  )
    .bind(o.orderId, afterId)
    .all<{ id: number; type: string; orderId: string; at: string; payload: string }>();
  const facts = { customerId: o.customerId, subOrderCount: 1, vendorCount: 1, currency: "INR", timeZone: "UTC" };
  return rows.results
    .flatMap((r) => compose(OrderEventMessage.parse({ ...r, payload: JSON.parse(r.payload) }), facts))
    .filter((m) => m.audience.kind === "customer");
}

const lastOutboxId = async () =>
  (await env.DB.prepare("select coalesce(max(id), 0) as n from outbox").first<{ n: number }>())!.n;

const refunded = displayAmount(PRICE, "INR");

describe("a return's refund, told to the shopper", () => {
  it("paid at once: one message with the amount, and a retry of the return tells nothing more", async () => {
    const o = await deliveredOrder();
    const before = await lastOutboxId();
    const key = uid("ret-");
    const first = await returnOne(o, key);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const told = await toldShopper(o, before);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ template: "refund_sent", params: { orderId: o.orderId, refunded } });
    expect(told[0]!.text).toContain(refunded);

    expect((await returnOne(o, key)).status).toBe(200);
    expect(await retryPendingRefunds(env, new Date(Date.now() + 10 * 60_000))).toBeDefined();
    expect(await toldShopper(o, before)).toHaveLength(1);
  });

  it("whose first try fails: nothing until the job pays it, then once", async () => {
    const o = await deliveredOrder();
    const before = await lastOutboxId();
    const now = new Date();
    const outcome = await returnWith(refundWriteFails, o, uid("ret-"), now);
    expect(outcome).toMatchObject({ ok: false, code: "PAYMENT_PROVIDER_ERROR" });
    expect(await toldShopper(o, before)).toEqual([]);

    await retryPendingRefunds(env, new Date(now.getTime() + 10 * 60_000));
    const owed = await env.DB.prepare("select settled_at from pending_refunds where sub_order_id = ?")
      .bind(o.sub)
      .first<{ settled_at: string | null }>();
    expect(owed!.settled_at).not.toBeNull();
    const told = await toldShopper(o, before);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ template: "refund_sent", params: { orderId: o.orderId, refunded } });

    await retryPendingRefunds(env, new Date(now.getTime() + 20 * 60_000));
    expect(await toldShopper(o, before)).toHaveLength(1);
  });

  it("whose first try fails: a retry of the return that pays it tells it once, and the job nothing more", async () => {
    const o = await deliveredOrder();
    const before = await lastOutboxId();
    const key = uid("ret-");
    const outcome = await returnWith(refundWriteFails, o, key, new Date());
    expect(outcome).toMatchObject({ ok: false, code: "PAYMENT_PROVIDER_ERROR" });
    expect(await toldShopper(o, before)).toEqual([]);

    const retried = await returnOne(o, key);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    const told = await toldShopper(o, before);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ template: "refund_sent", params: { orderId: o.orderId, refunded } });

    await retryPendingRefunds(env, new Date(Date.now() + 10 * 60_000));
    expect(await returnOne(o, key)).toMatchObject({ status: 200 });
    expect(await toldShopper(o, before)).toHaveLength(1);
  });
});
