import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { journalsOfOrder } from "../../src/db/ledger";
import { balanceOf } from "../../src/domain/ledger";
import { expireHolds } from "../../src/jobs/expire-holds";
import { retryPendingRefunds } from "../../src/jobs/pending-refunds";
import {
  behaveFor,
  deliver,
  type FakeEvent,
  fakeIntent,
  fakeRefunds,
  settleIntent,
  sign,
} from "../stripe-fake/control";
import { ADMIN, api, newCustomer, uid } from "../support/api";
import { lapseHold } from "../support/marketplace";

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

/** One vendor, one warehouse, one SKU with stock, written straight to D1 and the SKU's stock object. */
async function sellableSku(onHand: number): Promise<{ skuId: string; warehouseId: string }> {
  const vendorId = uid("ven");
  const warehouseId = uid("wh");
  const productId = uid("prd");
  const skuId = uid("sku");
  const at = now();
  await env.DB.batch([
    env.DB.prepare(
      "insert into vendors (id, name, commission_bps, hourly_capacity, created_at) values (?, ?, 1000, 1000, ?)",
    ).bind(vendorId, "Stripe Test Vendor", at),
    env.DB.prepare(
      "insert into warehouses (id, vendor_id, name, lat, lng, postal_code, country, created_at) values (?, ?, ?, 12.97, 77.59, '560001', 'IN', ?)",
    ).bind(warehouseId, vendorId, "Main", at),
    env.DB.prepare("insert into products (id, title, created_at) values (?, ?, ?)").bind(productId, "Kettle", at),
    env.DB.prepare(
      "insert into skus (id, vendor_id, product_id, code, title, price_minor, currency, barcode, created_at, updated_at) values (?, ?, ?, ?, ?, 2500, 'INR', ?, ?, ?)",
    ).bind(skuId, vendorId, productId, uid("code"), "Kettle 1L", uid("bar"), at, at),
  ]);
  const set = await env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId)).setOnHand({
    skuId,
    counts: [{ warehouseId, onHand }],
    reason: "count",
    actor: "test",
  });
  expect(set.ok).toBe(true);
  return { skuId, warehouseId };
}

async function checkout(skuId: string, qty: number) {
  const customer = await newCustomer();
  const r = await api("POST", "/v1/checkout", {
    token: customer.token,
    headers: { "idempotency-key": uid("ck") },
    body: {
      lines: [{ skuId, qty }],
      shipTo: {
        name: "Asha",
        address: { line1: "1 MG Road", city: "Bengaluru", postalCode: "560001", country: "IN" },
        lat: 12.97,
        lng: 77.6,
      },
    },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect(r.body.payment.provider).toBe("stripe");
  expect(r.body.payment.id).toMatch(/^pi_/);
  return { customer, orderId: r.body.order.id as string, paymentId: r.body.payment.id as string };
}

async function order(orderId: string, token: string) {
  const r = await api("GET", `/v1/orders/${orderId}`, { token });
  expect(r.status).toBe(200);
  return r.body as { status: string; paymentStatus: string } & Timeline;
}

async function stockTotals(skuId: string) {
  const r = await api("GET", `/v1/skus/${skuId}/stock`, { token: ADMIN });
  expect(r.status).toBe(200);
  return r.body.totals as { onHand: number; available: number; held: number; committed: number };
}

type Timeline = { timeline: { type: string; actor: { role: string; id: string | null } }[] };
const paidEvents = (o: Timeline) => o.timeline.filter((e) => /(^|\.)paid$/.test(e.type));

/** The same intent's event as Stripe would send it for another change, e.g. a decline delivered out of order. */
function eventLike(base: FakeEvent, type: string): FakeEvent {
  return { ...base, id: uid("evt_"), type };
}

describe("Stripe webhooks drive the order to paid exactly once", () => {
  it("applies a success delivered twice, then a stale failure, once", async () => {
    const { skuId } = await sellableSku(10);
    const { customer, orderId, paymentId } = await checkout(skuId, 3);
    expect(await order(orderId, customer.token)).toMatchObject({ status: "pending_payment", paymentStatus: "unpaid" });

    const { event: succeeded } = await settleIntent(paymentId, "succeeded");
    expect(succeeded?.type).toBe("payment_intent.succeeded");
    for (let i = 0; i < 2; i++) {
      const r = await deliver(succeeded);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toEqual({ received: true });
    }
    const late = await deliver(eventLike(succeeded!, "payment_intent.payment_failed"));
    expect(late.status).toBe(200);

    const o = await order(orderId, customer.token);
    expect(o).toMatchObject({ status: "paid", paymentStatus: "paid" });
    expect(paidEvents(o)).toHaveLength(1);
    expect(paidEvents(o)[0]!.actor).toEqual({ role: "system", id: "stripe" });
    expect(await stockTotals(skuId)).toMatchObject({ onHand: 10, committed: 3, held: 0, available: 7 });
    // The intent's latest_charge is kept: the order's vendor transfers name it as their source_transaction.
    const charge = (succeeded!.data.object as { latest_charge?: string }).latest_charge;
    expect(charge).toMatch(/^ch_/);
    const row = await env.DB.prepare("select charge_id from payments where id = ?").bind(paymentId).first();
    expect(row).toEqual({ charge_id: charge });
  });

  it("applies a decline then a success, delivered in reverse and repeated, as one payment", async () => {
    const { skuId } = await sellableSku(5);
    const { customer, orderId, paymentId } = await checkout(skuId, 2);

    const { event: declined } = await settleIntent(paymentId, "failed");
    const { event: succeeded } = await settleIntent(paymentId, "succeeded");
    for (const event of [succeeded, declined, succeeded, declined]) {
      expect((await deliver(event)).status).toBe(200);
    }

    const o = await order(orderId, customer.token);
    expect(o).toMatchObject({ status: "paid", paymentStatus: "paid" });
    expect(paidEvents(o)).toHaveLength(1);
    expect(await stockTotals(skuId)).toMatchObject({ onHand: 5, committed: 2, held: 0, available: 3 });
  });

  it("keeps the holds after a declined attempt, so the shopper can still pay", async () => {
    const { skuId } = await sellableSku(4);
    const { customer, orderId, paymentId } = await checkout(skuId, 1);
    const { event: declined } = await settleIntent(paymentId, "failed");
    expect((await deliver(declined)).status).toBe(200);

    expect(await order(orderId, customer.token)).toMatchObject({ status: "pending_payment", paymentStatus: "unpaid" });
    expect(await stockTotals(skuId)).toMatchObject({ held: 1, committed: 0, available: 3 });
  });

  it("applies concurrent duplicate deliveries of a success once", async () => {
    const { skuId } = await sellableSku(6);
    const { customer, orderId, paymentId } = await checkout(skuId, 2);
    const { event: succeeded } = await settleIntent(paymentId, "succeeded");

    const replies = await Promise.all(Array.from({ length: 5 }, () => deliver(succeeded)));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);

    const o = await order(orderId, customer.token);
    expect(o).toMatchObject({ status: "paid", paymentStatus: "paid" });
    expect(paidEvents(o)).toHaveLength(1);
    expect(await stockTotals(skuId)).toMatchObject({ onHand: 6, committed: 2, held: 0, available: 4 });
  });

  it("cancels the order and releases its stock when Stripe reports the intent canceled", async () => {
    const { skuId } = await sellableSku(3);
    const { customer, orderId, paymentId } = await checkout(skuId, 2);
    const { event: canceled } = await settleIntent(paymentId, "canceled");
    expect((await deliver(canceled)).status).toBe(200);
    expect((await deliver(canceled)).status).toBe(200);

    expect((await order(orderId, customer.token)).status).toBe("cancelled");
    expect(await stockTotals(skuId)).toMatchObject({ onHand: 3, held: 0, committed: 0, available: 3 });
  });

  it("changes nothing for a success with a bad signature", async () => {
    const { skuId } = await sellableSku(2);
    const { customer, orderId, paymentId } = await checkout(skuId, 1);
    const { event: succeeded } = await settleIntent(paymentId, "succeeded");
    expect((await fakeIntent(paymentId)).status).toBe("succeeded");

    const forged = await deliver(succeeded, await sign(JSON.stringify(succeeded), "whsec_not_the_secret"));
    expect(forged.status).toBe(400);
    expect(forged.body.code).toBe("BAD_SIGNATURE");
    const unsigned = await deliver(succeeded, null);
    expect(unsigned.status).toBe(400);

    const o = await order(orderId, customer.token);
    expect(o).toMatchObject({ status: "pending_payment", paymentStatus: "unpaid" });
    expect(paidEvents(o)).toHaveLength(0);
    expect(await stockTotals(skuId)).toMatchObject({ held: 1, committed: 0 });

    // The genuine delivery still lands afterwards.
    expect((await deliver(succeeded)).status).toBe(200);
    expect((await order(orderId, customer.token)).status).toBe("paid");
  });
});

describe("a late success webhook for an order already confirmed, then cancelled with its refund pending", () => {
  it("leaves the refund to the pending-refunds job: one refund of the order, its credit note, its ledger", async () => {
    const { skuId } = await sellableSku(5);
    const { customer, orderId, paymentId } = await checkout(skuId, 2);
    // Stripe takes the money; its webhook is late. The expire-holds job learns of it and confirms the order.
    const { event: succeeded } = await settleIntent(paymentId, "succeeded");
    expect((await expireHolds(env, new Date(Date.now() + 16 * 60_000))).confirmed).toBeGreaterThanOrEqual(1);
    expect((await order(orderId, customer.token)).status).toBe("paid");

    // The shopper cancels; the provider fails the refund, so it stays owed.
    await behaveFor(paymentId, { failRefunds: true });
    const cancel = await api("POST", `/v1/orders/${orderId}/cancel`, {
      token: customer.token,
      body: { reason: "changed_mind" },
    });
    expect(cancel.status).toBe(200);
    await behaveFor(paymentId, { failRefunds: false });

    // Stripe's own webhook arrives, then the job pays what is owed once the failure's minute is over.
    expect((await deliver(succeeded)).status).toBe(200);
    await retryPendingRefunds(env, new Date(Date.now() + 61_000));

    const total = (await fakeIntent(paymentId)).amount;
    const entries = (await journalsOfOrder(database(env), orderId)).flatMap((j) => j.entries);
    const stored = await env.DB.prepare(
      `select (select count(*) from refunds where order_id = ?1) as refunds,
         (select count(*) from credit_notes where order_id = ?1) as creditNotes,
         (select count(*) from pending_refunds where order_id = ?1 and settled_at is null) as pending,
         (select refunded_minor from payments where order_id = ?1) as refunded`,
    )
      .bind(orderId)
      .first();
    expect({
      ...stored,
      provider: await fakeRefunds(paymentId),
      captured: balanceOf(entries, "shopper_payments"),
      refundedInLedger: 0 - balanceOf(entries, "refunds"),
    }).toEqual({
      refunds: 1,
      creditNotes: 1,
      pending: 0,
      refunded: total,
      provider: { count: 1, amountMinor: total },
      captured: total,
      refundedInLedger: total,
    });
  });
});

describe("a success webhook delivered late", () => {
  it("starts the vendor's SLA clock when the order is paid here, not when Stripe made the event", async () => {
    const { skuId } = await sellableSku(3);
    const placed = await checkout(skuId, 1);
    const { event } = await settleIntent(placed.paymentId, "succeeded");
    // Stripe made the event ten minutes ago; its delivery was retried until now.
    const before = Math.floor(Date.now() / 1000) * 1000;
    expect((await deliver({ ...event!, created: event!.created - 600 })).status).toBe(200);
    const row = await env.DB.prepare(
      "select sla_started_at as started, sla_dispatch_by as due from sub_orders where order_id = ?",
    )
      .bind(placed.orderId)
      .first<{ started: string; due: string }>();
    expect(Date.parse(row!.started)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(row!.due) - Date.parse(row!.started)).toBe(18 * 3_600_000);
  });

  it("re-reserves a lapsed hold from when it is applied, so its alarm cannot release it before the commit", async () => {
    const { skuId } = await sellableSku(3);
    const placed = await checkout(skuId, 1);
    await lapseHold(skuId, placed.orderId);
    const { event } = await settleIntent(placed.paymentId, "succeeded");
    // Stripe made the event an hour ago; its first delivery failed and the retry lands now.
    const before = Date.now();
    expect((await deliver({ ...event!, created: event!.created - 3600 })).status).toBe(200);

    const holdId = (await env.DB.prepare("select hold_id as h from orders where id = ?")
      .bind(placed.orderId)
      .first<{ h: string }>())!.h;
    const holds = await env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId)).holdsOf(holdId);
    expect(holds.map((h) => ({ status: h.status, expiredBeforeDelivery: h.expiresAt < before }))).toEqual([
      { status: "committed", expiredBeforeDelivery: false },
    ]);
    expect(await order(placed.orderId, placed.customer.token)).toMatchObject({ status: "paid", paymentStatus: "paid" });
  });
});

describe("a late payment whose full refund the provider refuses, redelivered", () => {
  it("is refunded, never paid, when stock comes free before the refund goes through", async () => {
    const { skuId, warehouseId } = await sellableSku(1);
    const late = await checkout(skuId, 1);
    await lapseHold(skuId, late.orderId);
    const other = await checkout(skuId, 1);
    expect((await deliver((await settleIntent(other.paymentId, "succeeded")).event)).status).toBe(200);
    const { event } = await settleIntent(late.paymentId, "succeeded");
    await behaveFor(late.paymentId, { failRefunds: true });
    expect((await deliver(event)).status).toBe(500);
    expect((await order(late.orderId, late.customer.token)).status).toBe("pending_payment");

    // The vendor restocks: a unit is free again before the provider takes the refund.
    const restock = await api("POST", `/v1/skus/${skuId}/stock/adjustments`, {
      token: ADMIN,
      body: { warehouseId, delta: 1, reason: "restock" },
      headers: { "Idempotency-Key": `restock-${late.orderId}` },
    });
    expect(restock.status).toBe(200);
    expect((await deliver(event)).status).toBe(500);
    expect((await order(late.orderId, late.customer.token)).status).toBe("pending_payment");

    await behaveFor(late.paymentId, { failRefunds: false });
    expect((await deliver(event)).status).toBe(200);
    expect(await order(late.orderId, late.customer.token)).toMatchObject({
      status: "cancelled",
      paymentStatus: "refunded",
    });
    expect((await fakeRefunds(late.paymentId)).count).toBe(1);
    const after = await env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId)).snapshot();
    expect(after.warehouses[0]).toMatchObject({ onHand: 2, available: 1, committed: 1 });
  });
});

// Last in the file: its runs hand pages on through the queue, which may still be cancelling
// unpaid orders after it ends.
describe("a late payment whose full refund the provider refuses, met by the expire-holds job", () => {
  it("waits for a later run while the page goes on, and does not keep another late payment from its confirm", async () => {
    // The shopper's hold lapses and another shopper buys the last unit; then the payment succeeds.
    const { skuId } = await sellableSku(1);
    const late = await checkout(skuId, 1);
    await lapseHold(skuId, late.orderId);
    const other = await checkout(skuId, 1);
    expect((await deliver((await settleIntent(other.paymentId, "succeeded")).event)).status).toBe(200);
    await settleIntent(late.paymentId, "succeeded");
    await behaveFor(late.paymentId, { failRefunds: true });
    // A second late payment, its stock still held, whose webhook never came.
    const { skuId: plenty } = await sellableSku(10);
    const second = await checkout(plenty, 1);
    await settleIntent(second.paymentId, "succeeded");
    // Both first on the page; more unpaid orders past their hold than a page takes after them.
    await env.DB.prepare(
      "update orders set hold_expires_at = case id when ?1 then '2020-01-01T00:00:00Z' else '2020-01-01T00:00:01Z' end where id in (?1, ?2)",
    )
      .bind(late.orderId, second.orderId)
      .run();
    for (let i = 0; i < 6; i++) await checkout(plenty, 1);

    const at = Date.now() + 16 * 60_000;
    const first = await expireHolds(env, new Date(at));
    expect(first).toMatchObject({ continued: true });
    expect(first.confirmed + first.failed).toBe(1);
    await expireHolds(env, new Date(at + 60_000));
    expect((await order(second.orderId, second.customer.token)).status).toBe("paid");
    expect((await order(late.orderId, late.customer.token)).status).toBe("pending_payment");
    expect(await fakeRefunds(late.paymentId)).toEqual({ count: 0, amountMinor: 0 });
    // Ops are told once, however many times it is refused.
    const alerts = await env.DB.prepare(
      "select payload from notifications where recipient = 'ops' and template = 'late_payment_refund_refused' and dedupe_key = ?",
    )
      .bind(`late-payment-refund-refused:${late.orderId}`)
      .all<{ payload: string }>();
    expect(alerts.results).toHaveLength(1);
    const alert = JSON.parse(alerts.results[0]!.payload);
    expect(alert.params).toMatchObject({
      orderId: late.orderId,
      paymentId: late.paymentId,
      idempotencyKey: `refund:full:${late.orderId}`,
    });
    // A failure may be a lost answer to a refund the provider made, or makes on a later retry under
    // the same key: ops are sent to the provider's records first, never to pay the shopper another way.
    expect(alert.text).toContain(`Look up payment ${late.paymentId} in the provider's dashboard before anything else`);
    expect(alert.text).toContain(`idempotency key refund:full:${late.orderId}`);
    expect(alert.text).not.toMatch(/refund the shopper another way/);
  });
});
