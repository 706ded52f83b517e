import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { retryPendingRefunds } from "../../src/jobs/pending-refunds";
import { behaveFor, fakeRefunds, paidThroughFake } from "../stripe-fake/control";
import { api } from "../support/api";

describe("the pending-refunds job", () => {
  it("reaches a newly owed refund however many older ones the provider keeps refusing", async () => {
    // More refunds than a tick takes, owed for weeks against a payment the provider will not refund
    // (say it is disputed), each tried many times already.
    const stuck = await paidThroughFake();
    await behaveFor(stuck.paymentId, { failRefunds: true });
    await env.DB.batch(
      Array.from({ length: 120 }, (_, i) =>
        env.DB.prepare(
          `insert into pending_refunds (id, sub_order_id, order_id, payment_id, amount_minor, currency, reason, attempts, last_error, created_at)
           values (?, ?, ?, ?, 100, 'INR', 'changed_mind', 500, '503 api_error', ?)`,
        ).bind(
          `refund:stuck:${i}`,
          stuck.subOrderId,
          stuck.orderId,
          stuck.paymentId,
          `2020-02-01T00:${String(Math.floor(i / 60)).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}Z`,
        ),
      ),
    );

    // Today a shopper cancels while the provider is down for a moment: the refund is owed.
    const fresh = await paidThroughFake();
    await behaveFor(fresh.paymentId, { failRefunds: true });
    const cancel = await api("POST", `/v1/orders/${fresh.orderId}/cancel`, {
      token: fresh.token,
      body: { reason: "changed_mind" },
    });
    expect(cancel.status).toBe(200);
    await behaveFor(fresh.paymentId, { failRefunds: false });

    // A minute on, when the first failure's back-off has run out.
    const result = await retryPendingRefunds(env, new Date(Date.now() + 61_000));
    expect(result.refunded).toBe(1);
    expect(await fakeRefunds(fresh.paymentId)).toEqual({ count: 1, amountMinor: 2500 });
    const owed = await env.DB.prepare(
      "select count(*) as n from pending_refunds where order_id = ? and settled_at is null",
    )
      .bind(fresh.orderId)
      .first<{ n: number }>();
    expect(owed!.n).toBe(0);
  });

  it("leaves a refund never tried to the request that owes it for five minutes, then pays it", async () => {
    // A cancel's request has recorded the refund and is inside its provider call, or stopped there.
    const order = await paidThroughFake();
    const owedAt = Date.now();
    await env.DB.prepare(
      `insert into pending_refunds (id, sub_order_id, order_id, payment_id, amount_minor, currency, reason, attempts, created_at)
       values (?, ?, ?, ?, 2500, 'INR', 'changed_mind', 0, ?)`,
    )
      .bind(
        `refund:untried:${order.orderId}`,
        order.subOrderId,
        order.orderId,
        order.paymentId,
        new Date(owedAt).toISOString(),
      )
      .run();
    expect((await retryPendingRefunds(env, new Date(owedAt + 61_000))).refunded).toBe(0);
    expect(await fakeRefunds(order.paymentId)).toEqual({ count: 0, amountMinor: 0 });
    expect((await retryPendingRefunds(env, new Date(owedAt + 301_000))).refunded).toBe(1);
    expect(await fakeRefunds(order.paymentId)).toEqual({ count: 1, amountMinor: 2500 });
  });

  it("backs a refund off after each failure: not asked again until its wait is over", async () => {
    const order = await paidThroughFake();
    await behaveFor(order.paymentId, { failRefunds: true });
    const cancelledAt = Date.now();
    const cancel = await api("POST", `/v1/orders/${order.orderId}/cancel`, {
      token: order.token,
      body: { reason: "changed_mind" },
    });
    expect(cancel.status).toBe(200);
    const owed = () =>
      env.DB.prepare("select attempts, next_attempt_at as next from pending_refunds where order_id = ?")
        .bind(order.orderId)
        .first<{ attempts: number; next: string }>();
    const first = await owed();
    expect(first?.attempts).toBe(1);
    expect(Date.parse(first!.next) - cancelledAt).toBeGreaterThanOrEqual(59_000);
    expect(Date.parse(first!.next) - cancelledAt).toBeLessThanOrEqual(62_000);

    // Still failing a minute on: asked once more, then left for two minutes.
    await retryPendingRefunds(env, new Date(cancelledAt + 61_000));
    const second = await owed();
    expect(second?.attempts).toBe(2);
    expect(Date.parse(second!.next) - (cancelledAt + 61_000)).toBeGreaterThanOrEqual(119_000);

    await behaveFor(order.paymentId, { failRefunds: false });
    await retryPendingRefunds(env, new Date(cancelledAt + 121_000));
    expect(await fakeRefunds(order.paymentId)).toEqual({ count: 0, amountMinor: 0 });
    await retryPendingRefunds(env, new Date(cancelledAt + 182_000));
    expect(await fakeRefunds(order.paymentId)).toEqual({ count: 1, amountMinor: 2500 });
    // The cancel told the shopper of no refund (there was none yet); now they hear it is on its way.
    const messages = await env.DB.prepare("select type, payload from outbox where order_id = ? order by id")
      .bind(order.orderId)
      .all<{ type: string; payload: string }>();
    const told = messages.results.map((m) => [m.type, JSON.parse(m.payload).refundedMinor]);
    expect(told.filter(([type]) => type === "order.cancelled" || type === "order.refund_sent")).toEqual([
      ["order.cancelled", 0],
      ["order.refund_sent", 2500],
    ]);
  });
});
