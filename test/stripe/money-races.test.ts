import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sweepOutbox } from "../../src/gateways/order-events";
import { retryPendingRefunds } from "../../src/jobs/pending-refunds";
import { behaveFor, deliver, fakeRefunds, settleIntent } from "../stripe-fake/control";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { checkout, expectStockEquation, stockedSku, stockOf } from "../support/marketplace";

/**
 * Money races against a provider that answers refunds slowly (300 ms), so every race has room to
 * land in the middle of another. Each race runs ROUNDS times, the rounds in parallel (each its own
 * order, vendors and SKUs), and every round is judged in storage: D1's refunds, credit notes and
 * statuses, the stock objects' totals and what the fake provider refunded.
 */
const ROUNDS = 20;
const SLOW = { delayMs: 300 };
/** Each race sells from one SKU per seller, enough for every round. */
const ON_HAND = 100;

const rounds = <T>(run: (i: number) => Promise<T>) => Promise.all(Array.from({ length: ROUNDS }, (_, i) => run(i)));

type Seller = { vendorId: string; skuId: string; token: string; barcode: string };

async function seller(priceMinor: number): Promise<Seller> {
  const s = await stockedSku({ warehouses: [{ at: { lat: 12.97, lng: 77.59 }, onHand: ON_HAND }], priceMinor });
  const sku = await api("GET", `/v1/skus/${s.skuId}`, { token: ADMIN });
  expect(sku.status).toBe(200);
  return { ...s, token: await tokenFor("vendor", { vendorId: s.vendorId }), barcode: sku.body.barcode };
}

/** A paid order (through the fake and its webhook) of `qty` units from each seller, then made slow at the provider. */
async function paidOrder(sellers: Seller[], qty: number) {
  const shopper = await newCustomer();
  const placed = await checkout(
    shopper.token,
    sellers.map((s) => ({ skuId: s.skuId, qty })),
  );
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const paymentId = placed.body.payment.id as string;
  const { event } = await settleIntent(paymentId, "succeeded");
  expect((await deliver(event)).status).toBe(200);
  await behaveFor(paymentId, SLOW);
  const orderId = placed.body.order.id as string;
  const subs = await subOrdersOf(orderId);
  const subOf = (s: Seller) => subs.find((x) => x.vendor_id === s.vendorId)!.id;
  return { shopper, orderId, paymentId, subOf };
}

const awb = () => `${Date.now()}`.slice(-9) + `${Math.floor(Math.random() * 1e4)}`.padStart(4, "0");

async function step(token: string, sub: string, name: string, body?: unknown, headers?: Record<string, string>) {
  return api("POST", `/v1/sub-orders/${sub}/${name}`, {
    token,
    ...(body === undefined ? {} : { body }),
    ...(headers ? { headers } : {}),
  });
}

async function packed(s: Seller, sub: string, qty: number) {
  expect((await step(s.token, sub, "confirm")).status).toBe(200);
  const scanned = Array.from({ length: qty }, () => s.barcode);
  expect((await step(s.token, sub, "pack", { scanned })).status).toBe(200);
}

async function subOrdersOf(orderId: string) {
  const r = await env.DB.prepare("select id, vendor_id, status, total_minor from sub_orders where order_id = ?")
    .bind(orderId)
    .all<{ id: string; vendor_id: string; status: string; total_minor: number }>();
  return r.results;
}

/** What D1 recorded of the order's money: refund rows, credit notes, the payment's refunded amount. */
async function money(orderId: string, paymentId: string) {
  const [refunds, notes, payment] = await env.DB.batch<any>([
    env.DB.prepare("select sub_order_id, amount_minor from refunds where order_id = ?").bind(orderId),
    env.DB.prepare("select sub_order_id, amount_minor from credit_notes where order_id = ?").bind(orderId),
    env.DB.prepare("select amount_minor, refunded_minor from payments where id = ?").bind(paymentId),
  ]);
  return {
    refunds: refunds!.results as { sub_order_id: string; amount_minor: number }[],
    notes: notes!.results as { sub_order_id: string; amount_minor: number }[],
    payment: payment!.results[0] as { amount_minor: number; refunded_minor: number },
    provider: await fakeRefunds(paymentId),
  };
}

const sum = (rows: { amount_minor: number }[]) => rows.reduce((n, r) => n + r.amount_minor, 0);

/** Every cancelled sub-order refunded and credited exactly once, nothing else refunded, D1 and provider agreeing. */
async function expectRefundedOnce(orderId: string, paymentId: string) {
  const subs = await subOrdersOf(orderId);
  const m = await money(orderId, paymentId);
  const cancelled = subs.filter((s) => s.status === "cancelled");
  expect(m.refunds.map((r) => r.sub_order_id).sort()).toEqual(cancelled.map((s) => s.id).sort());
  expect(m.notes.map((r) => r.sub_order_id).sort()).toEqual(cancelled.map((s) => s.id).sort());
  const owed = sum(cancelled.map((s) => ({ amount_minor: s.total_minor })));
  expect(sum(m.refunds)).toBe(owed);
  expect(m.payment.refunded_minor).toBe(owed);
  expect(m.provider.amountMinor).toBe(owed);
  expect(m.provider.count).toBe(cancelled.length);
  return { subs, m };
}

describe("money races against a slow provider", () => {
  it("whole-order cancel vs vendor dispatch: shipped or refunded, never both", async () => {
    const s = await seller(1_000);
    const outcomes = await rounds(async () => {
      const o = await paidOrder([s], 2);
      const sub = o.subOf(s);
      await packed(s, sub, 2);
      const [cancel, dispatch] = await Promise.all([
        api("POST", `/v1/orders/${o.orderId}/cancel`, { token: o.shopper.token, body: { reason: "changed_mind" } }),
        step(s.token, sub, "dispatch", { carrier: "delhivery", awb: awb() }),
      ]);
      const [row] = await subOrdersOf(o.orderId);
      const { m } = await expectRefundedOnce(o.orderId, o.paymentId);
      if (row!.status === "dispatched") {
        expect(dispatch.status).toBe(200);
        expect(cancel.status).toBe(409);
        expect(m.refunds).toEqual([]);
      } else {
        expect(row!.status).toBe("cancelled");
        expect(cancel.status).toBe(200);
        expect(dispatch.status).toBe(409);
      }
      return row!.status;
    });
    expect(outcomes.every((s) => s === "dispatched" || s === "cancelled")).toBe(true);
    // Stock conserved: exactly the dispatched rounds' units left; every cancelled round's came back.
    const shipped = 2 * outcomes.filter((s) => s === "dispatched").length;
    await expectStockEquation(s.skuId);
    expect((await stockOf(s.skuId)).totals).toEqual({
      onHand: ON_HAND - shipped,
      available: ON_HAND - shipped,
      held: 0,
      committed: 0,
    });
  });

  it("whole-order cancel vs a vendor's sub-order cancel: each sub-order refunded once", async () => {
    const a = await seller(1_000);
    const b = await seller(700);
    await rounds(async () => {
      const o = await paidOrder([a, b], 1);
      const [whole, part] = await Promise.all([
        api("POST", `/v1/orders/${o.orderId}/cancel`, { token: o.shopper.token, body: { reason: "changed_mind" } }),
        step(a.token, o.subOf(a), "cancel", { reason: "cannot fulfil" }),
      ]);
      expect(whole.status, JSON.stringify(whole.body)).toBe(200);
      expect(part.status, JSON.stringify(part.body)).toBe(200);
      const { subs, m } = await expectRefundedOnce(o.orderId, o.paymentId);
      expect(subs.every((s) => s.status === "cancelled")).toBe(true);
      expect(m.payment.refunded_minor).toBe(m.payment.amount_minor);
      const order = await env.DB.prepare("select status, payment_status from orders where id = ?")
        .bind(o.orderId)
        .first<{ status: string; payment_status: string }>();
      expect(order).toEqual({ status: "cancelled", payment_status: "refunded" });
    });
    for (const s of [a, b]) {
      await expectStockEquation(s.skuId);
      expect((await stockOf(s.skuId)).totals).toEqual({ onHand: ON_HAND, available: ON_HAND, held: 0, committed: 0 });
    }
  });

  it("two whole-order cancels at once tell the shopper of every refund paid, whichever writes the message", async () => {
    const a = await seller(1_000);
    const b = await seller(700);
    await rounds(async () => {
      const o = await paidOrder([a, b], 1);
      const cancel = (token: string) =>
        api("POST", `/v1/orders/${o.orderId}/cancel`, { token, body: { reason: "changed_mind" } });
      const both = await Promise.all([cancel(o.shopper.token), cancel(ADMIN)]);
      expect(both.map((r) => r.status)).toEqual([200, 200]);
      const { m } = await expectRefundedOnce(o.orderId, o.paymentId);
      const told = await env.DB.prepare(
        "select type, payload from outbox where order_id = ? and type in ('order.cancelled', 'order.refund_sent')",
      )
        .bind(o.orderId)
        .all<{ type: string; payload: string }>();
      expect(told.results.filter((r) => r.type === "order.cancelled")).toHaveLength(1);
      // On the cancellation's message, or after it: every unit of money refunded is told once.
      const toldMinor = told.results.reduce((n, r) => n + (JSON.parse(r.payload).refundedMinor as number), 0);
      expect(toldMinor).toBe(sum(m.refunds));
    });
  });

  it("two returns of the same line under different keys: one lands, the other answers 409 and changes nothing", async () => {
    const s = await seller(1_000);
    await rounds(async () => {
      const o = await paidOrder([s], 2);
      const sub = o.subOf(s);
      await packed(s, sub, 2);
      expect((await step(s.token, sub, "dispatch", { carrier: "delhivery", awb: awb() })).status).toBe(200);
      expect((await step(s.token, sub, "deliver")).status).toBe(200);
      const lineId = (await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN })).body.lines[0].id;
      const back = () =>
        step(
          ADMIN,
          sub,
          "return",
          { lines: [{ lineId, qty: 2, restockable: true }], reason: "damaged" },
          {
            "Idempotency-Key": uid("ret"),
          },
        );
      const answers = await Promise.all([back(), back()]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
      const m = await money(o.orderId, o.paymentId);
      expect(m.refunds.map((r) => r.amount_minor)).toEqual([2_000]);
      expect(m.notes.map((r) => r.amount_minor)).toEqual([2_000]);
      expect(m.payment.refunded_minor).toBe(2_000);
      expect(m.provider).toEqual({ count: 1, amountMinor: 2_000 });
      const line = await env.DB.prepare("select returned_qty from line_items where id = ?")
        .bind(lineId)
        .first<{ returned_qty: number }>();
      expect(line!.returned_qty).toBe(2);
      expect((await subOrdersOf(o.orderId))[0]!.status).toBe("returned");
    });
    // Every round shipped 2 and took 2 back once: on hand is where it started.
    await expectStockEquation(s.skuId);
    expect((await stockOf(s.skuId)).totals).toEqual({ onHand: ON_HAND, available: ON_HAND, held: 0, committed: 0 });
  });

  it("a cancel tells the shopper of its refund only once it is paid", async () => {
    const s = await seller(1_000);
    const messages = async (orderId: string) =>
      (
        await env.DB.prepare("select type, payload from outbox where order_id = ? order by id")
          .bind(orderId)
          .all<{ type: string; payload: string }>()
      ).results
        .filter((r) => r.type === "sub_order.cancelled" || r.type === "order.refund_sent")
        .map((r) => [r.type, JSON.parse(r.payload).refundedMinor]);

    // Paid at once: one message, with the refund.
    const paid = await paidOrder([s], 1);
    expect((await step(s.token, paid.subOf(s), "cancel", { reason: "cannot fulfil" })).status).toBe(200);
    expect(await messages(paid.orderId)).toEqual([["sub_order.cancelled", 1_000]]);

    // The provider fails it: the cancel says nothing came back, and the job's payment says it is on its way.
    const failed = await paidOrder([s], 1);
    await behaveFor(failed.paymentId, { failRefunds: true });
    expect((await step(s.token, failed.subOf(s), "cancel", { reason: "cannot fulfil" })).status).toBe(200);
    expect(await messages(failed.orderId)).toEqual([["sub_order.cancelled", 0]]);
    await behaveFor(failed.paymentId, { failRefunds: false });
    await retryPendingRefunds(env, new Date(Date.now() + 61_000));
    expect(await messages(failed.orderId)).toEqual([
      ["sub_order.cancelled", 0],
      ["order.refund_sent", 1_000],
    ]);

    // The provider is slow and the sweeper sends the cancel's message meanwhile: it promises
    // nothing, and the refund, once paid, gets its own message.
    const slow = await paidOrder([s], 1);
    await behaveFor(slow.paymentId, { delayMs: 1_500 });
    const cancelling = step(s.token, slow.subOf(s), "cancel", { reason: "cannot fulfil" });
    for (let i = 0; i < 100 && (await messages(slow.orderId)).length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    await sweepOutbox(env, new Date(Date.now() + 31_000));
    expect((await cancelling).status).toBe(200);
    expect(await messages(slow.orderId)).toEqual([
      ["sub_order.cancelled", 0],
      ["order.refund_sent", 1_000],
    ]);
  });

  it("a refund that fails after the cancel landed leaves it cancelled with the refund pending; the job refunds once", async () => {
    const ops = await tokenFor("ops");
    const s = await seller(1_000);
    const orders = await rounds(async () => {
      const o = await paidOrder([s], 1);
      const sub = o.subOf(s);
      await behaveFor(o.paymentId, { ...SLOW, failRefunds: true });
      const r = await step(s.token, sub, "cancel", { reason: "cannot fulfil" });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.status).toBe("cancelled");
      const m = await money(o.orderId, o.paymentId);
      expect(m.refunds).toEqual([]);
      expect(m.provider.count).toBe(0);
      const view = await api("GET", `/v1/orders/${o.orderId}`, { token: ops });
      expect(view.body.subOrders[0].refundPending).toMatchObject({ amount: { amountMinor: 1_000 } });
      const mine = await api("GET", `/v1/orders/${o.orderId}`, { token: o.shopper.token });
      expect(mine.body.subOrders[0].refundPending).toBeUndefined();
      return { ...o, sub };
    });
    const pending = await api("GET", "/v1/admin/refunds/pending?limit=100", { token: ops });
    expect(pending.status).toBe(200);
    const listed = new Set(pending.body.items.map((p: { subOrderId: string }) => p.subOrderId));
    for (const o of orders) expect(listed.has(o.sub)).toBe(true);

    // Still failing once the first failure's minute is over: the refunds stay pending.
    await retryPendingRefunds(env, new Date(Date.now() + 61_000));
    for (const o of orders) expect((await money(o.orderId, o.paymentId)).refunds).toEqual([]);

    await Promise.all(orders.map((o) => behaveFor(o.paymentId, SLOW)));
    // Two runs at once (a cron tick overlapping a slow one) still refund each sub-order once.
    const due = new Date(Date.now() + 240_000);
    await Promise.all([retryPendingRefunds(env, due), retryPendingRefunds(env, due)]);
    // A tick takes fifteen: the rest go on the next, which overlaps nothing.
    await retryPendingRefunds(env, due);
    await Promise.all(
      orders.map(async (o) => {
        await expectRefundedOnce(o.orderId, o.paymentId);
        const view = await api("GET", `/v1/orders/${o.orderId}`, { token: ops });
        expect(view.body.subOrders[0].refundPending).toBeNull();
      }),
    );
    const after = await api("GET", "/v1/admin/refunds/pending?limit=100", { token: ops });
    const still = new Set(after.body.items.map((p: { subOrderId: string }) => p.subOrderId));
    for (const o of orders) expect(still.has(o.sub)).toBe(false);
    // The cancels gave every unit back before their refunds were paid.
    expect((await stockOf(s.skuId)).totals).toEqual({ onHand: ON_HAND, available: ON_HAND, held: 0, committed: 0 });
  });
});
