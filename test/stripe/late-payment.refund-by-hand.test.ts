import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { journalsOfOrder } from "../../src/db/ledger";
import { balanceOf } from "../../src/domain/ledger";
import { expireHolds } from "../../src/jobs/expire-holds";
import { behaveFor, deliver, fakeRefunds, refundByHand, settleIntent } from "../stripe-fake/control";
import { api, newCustomer } from "../support/api";
import { BENGALURU, checkout, lapseHold, stockedSku } from "../support/marketplace";

/** An order whose hold lapsed and whose last unit another shopper bought: its payment can only be refunded. */
async function latePaymentWithStockGone() {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }], priceMinor: 4200 });
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const orderId = placed.body.order.id as string;
  const paymentId = placed.body.payment.id as string;
  await lapseHold(s.skuId, orderId);
  const rival = await newCustomer();
  const taken = await checkout(rival.token, [{ skuId: s.skuId, qty: 1 }]);
  expect(taken.status).toBe(201);
  expect((await deliver((await settleIntent(taken.body.payment.id, "succeeded")).event)).status).toBe(200);
  const { event } = await settleIntent(paymentId, "succeeded");
  return { token: shopper.token, orderId, paymentId, event, totalMinor: placed.body.order.total.amountMinor as number };
}

async function statusOf(orderId: string, token: string) {
  const r = await api("GET", `/v1/orders/${orderId}`, { token });
  expect(r.status).toBe(200);
  return r.body as { status: string; paymentStatus: string; subOrders: { cancellationReason: string | null }[] };
}

describe("a late payment whose full refund the provider refused, then refunded by hand in the dashboard", () => {
  it("is recorded as that refund and cancelled, and the provider is not asked to refund it again", async () => {
    const late = await latePaymentWithStockGone();
    await behaveFor(late.paymentId, { failRefunds: true });
    const at = Date.now() + 16 * 60_000;
    expect(await expireHolds(env, new Date(at))).toMatchObject({ confirmed: 0, failed: 1 });
    expect((await statusOf(late.orderId, late.token)).status).toBe("pending_payment");
    const alert = await env.DB.prepare(
      "select count(*) as n from notifications where recipient = 'ops' and template = 'late_payment_refund_refused' and dedupe_key = ?",
    )
      .bind(`late-payment-refund-refused:${late.orderId}`)
      .first<{ n: number }>();
    expect(alert?.n).toBe(1);

    // Ops follow the alert: the payment refunded in full in the provider's dashboard, without our key.
    await behaveFor(late.paymentId, { failRefunds: false });
    const byHand = await refundByHand(late.paymentId);

    await expireHolds(env, new Date(at + 60_000));
    await expireHolds(env, new Date(at + 120_000));

    const o = await statusOf(late.orderId, late.token);
    expect(o).toMatchObject({ status: "cancelled", paymentStatus: "refunded" });
    for (const sub of o.subOrders) expect(sub.cancellationReason).toBe("late_payment_refunded");
    const refunds = await env.DB.prepare(
      "select id, provider_ref as providerRef, amount_minor as amountMinor, reason from refunds where order_id = ?",
    )
      .bind(late.orderId)
      .all();
    expect(refunds.results).toEqual([
      { id: `rf_${byHand}`, providerRef: byHand, amountMinor: late.totalMinor, reason: "late_payment_refunded" },
    ]);
    expect(await fakeRefunds(late.paymentId)).toEqual({ count: 1, amountMinor: late.totalMinor });
    const entries = (await journalsOfOrder(database(env), late.orderId)).flatMap((j) => j.entries);
    expect(balanceOf(entries, "shopper_payments")).toBe(late.totalMinor);
    expect(0 - balanceOf(entries, "refunds")).toBe(late.totalMinor);
    // The shopper is told, once, that the order was cancelled and the money sent back.
    const told = await env.DB.prepare("select payload from outbox where dedupe_key = ?")
      .bind(`order.cancelled:${late.orderId}`)
      .all<{ payload: string }>();
    expect(told.results.map((r) => JSON.parse(r.payload))).toEqual([
      { orderId: late.orderId, reason: "late_payment_refunded", refundedMinor: late.totalMinor },
    ]);
  });

  it("keeps the order waiting, ops alerted, while refunds by hand cover only part of the payment", async () => {
    const late = await latePaymentWithStockGone();
    await behaveFor(late.paymentId, { failRefunds: true });
    const at = Date.now() + 16 * 60_000;
    await expireHolds(env, new Date(at));
    await behaveFor(late.paymentId, { failRefunds: false });
    const part = await refundByHand(late.paymentId, 1000);

    // The retry of the full refund is refused (more than is left), and 1000 does not cover what is owed.
    expect(await expireHolds(env, new Date(at + 60_000))).toMatchObject({ confirmed: 0, failed: 1 });
    expect((await statusOf(late.orderId, late.token)).status).toBe("pending_payment");
    const none = await env.DB.prepare("select count(*) as n from refunds where order_id = ?")
      .bind(late.orderId)
      .first<{ n: number }>();
    expect(none?.n).toBe(0);

    // The rest refunded by hand as well: together they cover it, recorded under the refund that completed it.
    const rest = await refundByHand(late.paymentId);
    await expireHolds(env, new Date(at + 120_000));
    expect(await statusOf(late.orderId, late.token)).toMatchObject({ status: "cancelled", paymentStatus: "refunded" });
    const recorded = await env.DB.prepare(
      "select provider_ref as ref, amount_minor as n from refunds where order_id = ?",
    )
      .bind(late.orderId)
      .all();
    expect(recorded.results).toEqual([{ ref: rest, n: late.totalMinor }]);
    expect(part).not.toBe(rest);
    expect(await fakeRefunds(late.paymentId)).toEqual({ count: 2, amountMinor: late.totalMinor });
  });

  it("is recorded the same way by the payment's webhook redelivered, once however often it comes", async () => {
    const late = await latePaymentWithStockGone();
    await behaveFor(late.paymentId, { failRefunds: true });
    expect((await deliver(late.event)).status).toBe(500);
    await behaveFor(late.paymentId, { failRefunds: false });
    const byHand = await refundByHand(late.paymentId);

    expect((await deliver(late.event)).status).toBe(200);
    expect((await deliver(late.event)).status).toBe(200);
    expect(await statusOf(late.orderId, late.token)).toMatchObject({ status: "cancelled", paymentStatus: "refunded" });
    const recorded = await env.DB.prepare(
      "select provider_ref as ref, amount_minor as n from refunds where order_id = ?",
    )
      .bind(late.orderId)
      .all();
    expect(recorded.results).toEqual([{ ref: byHand, n: late.totalMinor }]);
    expect(await fakeRefunds(late.paymentId)).toEqual({ count: 1, amountMinor: late.totalMinor });
  });
});
