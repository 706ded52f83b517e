import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { findPendingRefund } from "../../src/db/payments";
import { retryPendingRefunds } from "../../src/jobs/pending-refunds";
import { payPendingRefund } from "../../src/money/owed-refunds";
import {
  behaveFor,
  deliver,
  eventOf,
  failRefund,
  fakeRefunds,
  paidThroughFake,
  settleIntent,
  stripeSettings,
} from "../stripe-fake/control";
import { api, newCustomer, tokenFor } from "../support/api";
import { republish, subscribe } from "../support/feeds";
import { BENGALURU, checkout, lapseHold, stockedSku } from "../support/marketplace";

/** A paid order its shopper cancelled: its refund made and recorded. */
async function refundedOrder() {
  const order = await paidThroughFake();
  const cancel = await api("POST", `/v1/orders/${order.orderId}/cancel`, {
    token: order.token,
    body: { reason: "changed_mind" },
  });
  expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
  const refund = await refundOf(order.orderId);
  expect(refund.failed_at).toBeNull();
  return { ...order, refund };
}

type RefundRow = {
  id: string;
  provider_ref: string;
  amount_minor: number;
  failed_at: string | null;
  failure_reason: string | null;
};

const refundOf = (orderId: string) =>
  env.DB.prepare("select id, provider_ref, amount_minor, failed_at, failure_reason from refunds where order_id = ?")
    .bind(orderId)
    .first<RefundRow>()
    .then((r) => r!);

const owedOf = (orderId: string) =>
  env.DB.prepare(
    "select id, kind, amount_minor, awaiting_ops, settled_at, settled_note, replaces_refund_id from pending_refunds where order_id = ? and kind = 'retry' order by created_at, id",
  )
    .bind(orderId)
    .all<{
      id: string;
      kind: string;
      amount_minor: number;
      awaiting_ops: number;
      settled_at: string | null;
      settled_note: string | null;
      replaces_refund_id: string;
    }>()
    .then((r) => r.results);

/** What the books hold of the order: they must not move when only the provider's payment of a refund does. */
const books = (orderId: string) =>
  env.DB.prepare(
    `select (select count(*) from ledger_journals where order_id = ?1) as journals,
            (select coalesce(sum(amount_minor), 0) from ledger_entries where order_id = ?1 and account = 'refunds') as refunds,
            (select count(*) from credit_notes where order_id = ?1) as creditNotes,
            (select refunded_minor from payments where order_id = ?1) as refundedMinor,
            (select payment_status from orders where id = ?1) as paymentStatus`,
  )
    .bind(orderId)
    .first();

const alertsAbout = (providerRefundId: string) =>
  env.DB.prepare("select template, payload from notifications where recipient = 'ops' and dedupe_key = ?")
    .bind(`refund-failed:${providerRefundId}`)
    .all<{ template: string; payload: string }>()
    .then((r) => r.results);

/** The shopper's messages the order's changes queued, by type, oldest first. */
const messagesOf = (orderId: string) =>
  env.DB.prepare("select type, payload from outbox where order_id = ? and type like 'order.refund_%' order by id")
    .bind(orderId)
    .all<{ type: string; payload: string }>()
    .then((r) => r.results.map((m) => ({ type: m.type, ...JSON.parse(m.payload) })));

const historyOf = (orderId: string, type: string) =>
  env.DB.prepare("select actor_role, actor_id, reason from order_events where order_id = ? and type = ?")
    .bind(orderId, type)
    .all<{ actor_role: string; actor_id: string | null; reason: string | null }>()
    .then((r) => r.results);

describe("a refund the provider fails after making it", () => {
  it("to a closed card: owed again, left to ops, who settle it another way; the books stand", async () => {
    const order = await refundedOrder();
    const before = await books(order.orderId);
    const ops = await tokenFor("ops");
    const opsFeed = await subscribe("/v1/feeds/ops", ops);
    const vendorFeed = await subscribe(
      `/v1/feeds/vendors/${order.vendorId}`,
      await tokenFor("vendor", { vendorId: order.vendorId }),
    );
    const { event } = await failRefund(order.refund.provider_ref, "expired_or_canceled_card");
    expect((await deliver(event)).status).toBe(200);
    // Ops hear of it live; the vendor does not (its side of the refund stands), however often it is published.
    await opsFeed.waitFor(order.orderId, "order.refund_failed");
    await republish(order.orderId);
    await new Promise((r) => setTimeout(r, 200));
    expect(vendorFeed.types(order.orderId)).toEqual([]);
    const timeline = async (token: string) =>
      (await api("GET", `/v1/orders/${order.orderId}`, { token })).body.timeline.map((e: { type: string }) => e.type);
    expect(await timeline(ops)).toContain("payment.refund_failed");
    expect(await timeline(order.token)).toContain("payment.refund_failed");
    const vendorTimeline = await timeline(await tokenFor("vendor", { vendorId: order.vendorId }));
    expect(vendorTimeline).toContain("payment.refunded");
    expect(vendorTimeline).not.toContain("payment.refund_failed");

    const refund = await refundOf(order.orderId);
    expect(refund.failed_at).not.toBeNull();
    expect(refund.failure_reason).toBe("expired_or_canceled_card");
    const [owed, ...more] = await owedOf(order.orderId);
    expect(more).toEqual([]);
    expect(owed).toMatchObject({
      id: `retry:${order.refund.provider_ref}`,
      amount_minor: 2500,
      awaiting_ops: 1,
      settled_at: null,
      replaces_refund_id: refund.id,
    });
    expect(await books(order.orderId)).toEqual(before);
    const [alert, ...moreAlerts] = await alertsAbout(order.refund.provider_ref);
    expect(moreAlerts).toEqual([]);
    expect(alert!.template).toBe("refund_failed");
    expect(JSON.parse(alert!.payload).text).toContain("expired_or_canceled_card");
    expect(await historyOf(order.orderId, "payment.refund_failed")).toEqual([
      { actor_role: "system", actor_id: "payments", reason: "expired_or_canceled_card" },
    ]);

    expect(await messagesOf(order.orderId)).toEqual([
      { type: "order.refund_failed", refundedMinor: 2500, retried: false },
    ]);

    // Redelivered, and announced again as `charge.refund.updated`: nothing more.
    expect((await deliver(event)).status).toBe(200);
    const failed = (event.data.object as unknown as { status: string }).status;
    expect(failed).toBe("failed");
    expect((await deliver(eventOf("charge.refund.updated", event.data.object))).status).toBe(200);
    expect(await owedOf(order.orderId)).toHaveLength(1);
    expect(await alertsAbout(order.refund.provider_ref)).toHaveLength(1);
    expect(await historyOf(order.orderId, "payment.refund_failed")).toHaveLength(1);

    // The job leaves it alone: paying that card again would fail again.
    await retryPendingRefunds(env, new Date(Date.now() + 24 * 3_600_000));
    expect((await fakeRefunds(order.paymentId)).count).toBe(1);

    const listed = await api("GET", "/v1/admin/refunds/pending?limit=200", { token: ops });
    expect(listed.body.items).toContainEqual(
      expect.objectContaining({ id: owed!.id, kind: "retry", awaitingOps: true, orderId: order.orderId }),
    );
    const path = `/v1/admin/refunds/pending/${encodeURIComponent(owed!.id)}/settle`;
    const note = "Paid by bank transfer, UTR 4417";
    for (const token of [order.token, await tokenFor("vendor", { vendorId: order.vendorId })]) {
      expect((await api("POST", path, { token, body: { note } })).status).toBe(403);
    }
    expect((await api("POST", path, { token: ops, body: {} })).status).toBe(422);
    const settled = await api("POST", path, { token: ops, body: { note } });
    expect(settled.status, JSON.stringify(settled.body)).toBe(200);
    expect(settled.body).toMatchObject({ id: owed!.id, awaitingOps: false });
    expect(await owedOf(order.orderId)).toEqual([expect.objectContaining({ settled_note: note })]);
    expect((await historyOf(order.orderId, "payment.refund_settled_outside")).map((e) => e.actor_role)).toEqual([
      "ops",
    ]);
    const after = await api("GET", "/v1/admin/refunds/pending?limit=200", { token: ops });
    expect(after.body.items.map((i: { id: string }) => i.id)).not.toContain(owed!.id);

    // The same settlement again answers it; another is a conflict, and nothing is written twice.
    expect((await api("POST", path, { token: ops, body: { note } })).status).toBe(200);
    const other = await api("POST", path, { token: ops, body: { note: "Store credit" } });
    expect(other.status).toBe(409);
    expect(other.headers.get("content-type")).toContain("application/problem+json");
    expect(await owedOf(order.orderId)).toEqual([expect.objectContaining({ settled_note: note })]);
    expect(await historyOf(order.orderId, "payment.refund_settled_outside")).toHaveLength(1);
    expect(await books(order.orderId)).toEqual(before);
    expect(await messagesOf(order.orderId)).toEqual([
      { type: "order.refund_failed", refundedMinor: 2500, retried: false },
      { type: "order.refund_settled", refundedMinor: 2500 },
    ]);
  });

  it("for want of the platform's balance: paid again by the job under its own key, the books unchanged", async () => {
    const order = await refundedOrder();
    const before = await books(order.orderId);
    const { event } = await failRefund(order.refund.provider_ref, "insufficient_funds");
    expect((await deliver(event)).status).toBe(200);
    const [owed] = await owedOf(order.orderId);
    expect(owed).toMatchObject({ awaiting_ops: 0, settled_at: null });

    // A minute on, when the failure's wait is over.
    await retryPendingRefunds(env, new Date(Date.now() + 61_000));
    expect(await fakeRefunds(order.paymentId)).toEqual({ count: 2, amountMinor: 5000 });
    const refund = await refundOf(order.orderId);
    expect(refund.provider_ref).not.toBe(order.refund.provider_ref);
    expect(refund).toMatchObject({ id: order.refund.id, failed_at: null, failure_reason: null, amount_minor: 2500 });
    expect((await owedOf(order.orderId))[0]!.settled_at).not.toBeNull();
    expect(await books(order.orderId)).toEqual(before);
    expect(await historyOf(order.orderId, "payment.refund_repaid")).toHaveLength(1);
    expect(await messagesOf(order.orderId)).toEqual([
      { type: "order.refund_failed", refundedMinor: 2500, retried: true },
      { type: "order.refund_sent", refundedMinor: 2500 },
    ]);

    // The retry's refund fails too, to a card the provider cannot reach: owed once more, for ops.
    const second = await failRefund(refund.provider_ref, "lost_or_stolen_card");
    expect((await deliver(second.event)).status).toBe(200);
    const owedNow = await owedOf(order.orderId);
    expect(owedNow).toHaveLength(2);
    expect(owedNow.find((o) => o.id === `retry:${refund.provider_ref}`)).toMatchObject({
      awaiting_ops: 1,
      settled_at: null,
    });
    // A run of the first retry that read it before it was paid, landing only now, clears nothing.
    const staleRow = { ...(await findPendingRefund(database(env), owed!.id))!, settledAt: null };
    await payPendingRefund(env, staleRow, new Date());
    expect((await fakeRefunds(order.paymentId)).count).toBe(2);
    expect((await refundOf(order.orderId)).failure_reason).toBe("lost_or_stolen_card");
    // A stale copy of the first failure reopens nothing.
    expect((await deliver({ ...event, id: `${event.id}_again` })).status).toBe(200);
    expect(await owedOf(order.orderId)).toHaveLength(2);

    // Ops ask for one more try (the shopper says the card works again): the job pays it. Once the
    // job has it, ops cannot also settle it another way (the shopper would be paid twice).
    const ops = await tokenFor("ops");
    const retried = await api(
      "POST",
      `/v1/admin/refunds/pending/${encodeURIComponent(`retry:${refund.provider_ref}`)}/retry`,
      {
        token: ops,
      },
    );
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body).toMatchObject({ awaitingOps: false });
    expect(Date.parse(retried.body.nextAttemptAt)).toBeLessThanOrEqual(Date.now());
    const both = await api(
      "POST",
      `/v1/admin/refunds/pending/${encodeURIComponent(`retry:${refund.provider_ref}`)}/settle`,
      { token: ops, body: { note: "Paid by bank transfer" } },
    );
    expect(both.status).toBe(409);
    await retryPendingRefunds(env, new Date(Date.now() + 61_000));
    expect((await fakeRefunds(order.paymentId)).count).toBe(3);
    expect((await refundOf(order.orderId)).failed_at).toBeNull();
    expect(await books(order.orderId)).toEqual(before);

    // A refund the provider never made is not settled outside: it is not in the books yet.
    const unknown = await api("POST", "/v1/admin/refunds/pending/refund%3Asub%3Anone/settle", {
      token: ops,
      body: { note: "x" },
    });
    expect(unknown.status).toBe(404);
  });

  it("alerts ops to a failed refund of a known payment that is not recorded here, and ignores other accounts'", async () => {
    const order = await paidThroughFake();
    // A refund someone made from the provider's dashboard, outside this system.
    const res = await fetch(`${stripeSettings().apiBase}/v1/refunds`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${stripeSettings().secretKey}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ payment_intent: order.paymentId, amount: "100" }),
    });
    expect(res.status).toBe(200);
    const outside = (await res.json()) as { id: string };
    const { event } = await failRefund(outside.id, "declined");
    expect((await deliver(event)).status).toBe(200);
    expect((await alertsAbout(outside.id)).map((a) => a.template)).toEqual(["refund_failed_unrecorded"]);
    expect(await owedOf(order.orderId)).toEqual([]);

    const stranger = eventOf("refund.failed", {
      ...event.data.object,
      id: "re_elsewhere",
      payment_intent: "pi_elsewhere",
    } as { id: string });
    expect((await deliver(stranger)).status).toBe(200);
    expect(await alertsAbout("re_elsewhere")).toEqual([]);
  });

  it("learnt a day late (Stripe retried its webhook), is dated when it is applied, so the feeds still show it", async () => {
    const order = await refundedOrder();
    const { event } = await failRefund(order.refund.provider_ref, "expired_or_canceled_card");
    const late = { ...event, created: event.created - 25 * 3600 };
    const before = Date.now() - 2_000;
    expect((await deliver(late)).status).toBe(200);
    const row = await env.DB.prepare(
      "select created_at as at from outbox where order_id = ? and type = 'order.refund_failed'",
    )
      .bind(order.orderId)
      .first<{ at: string }>();
    expect(Date.parse(row!.at)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  });

  it("settles only a refund the provider made: a cancel's owed refund stays with the job", async () => {
    const order = await refundedOrder();
    const ops = await tokenFor("ops");
    await env.DB.prepare(
      `insert into pending_refunds (id, sub_order_id, order_id, payment_id, amount_minor, currency, reason, created_at)
       select 'refund:test:' || ?1, id, order_id, ?2, 100, 'INR', 'changed_mind', '2026-01-01T00:00:00Z' from sub_orders where order_id = ?1`,
    )
      .bind(order.orderId, order.paymentId)
      .run();
    const path = `/v1/admin/refunds/pending/${encodeURIComponent(`refund:test:${order.orderId}`)}/settle`;
    const refused = await api("POST", path, { token: ops, body: { note: "Paid in cash" } });
    expect(refused.status).toBe(409);
    const row = await env.DB.prepare("select settled_at from pending_refunds where id = ?")
      .bind(`refund:test:${order.orderId}`)
      .first<{ settled_at: string | null }>();
    expect(row!.settled_at).toBeNull();
  });
});

describe("a refund the provider answers already failed", () => {
  it("is in the books as made and owed again at once, retried after a growing wait while it keeps failing", async () => {
    const order = await paidThroughFake();
    await behaveFor(order.paymentId, { refundsFailAs: "insufficient_funds" });
    const cancelledAt = Date.now();
    const cancel = await api("POST", `/v1/orders/${order.orderId}/cancel`, {
      token: order.token,
      body: { reason: "changed_mind" },
    });
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
    const booked = await books(order.orderId);
    expect(booked).toMatchObject({ creditNotes: 1, refunds: -2500, refundedMinor: 2500, paymentStatus: "refunded" });
    const first = await refundOf(order.orderId);
    expect(first.failure_reason).toBe("insufficient_funds");
    const owed = await owedOf(order.orderId);
    expect(owed).toEqual([expect.objectContaining({ id: `retry:${first.provider_ref}`, awaiting_ops: 0 })]);
    expect(await messagesOf(order.orderId)).toEqual([
      { type: "order.refund_failed", refundedMinor: 2500, retried: true },
    ]);
    // The shopper is not told it is on its way: it is not.
    const cancelled = await env.DB.prepare("select payload from outbox where order_id = ? and type = 'order.cancelled'")
      .bind(order.orderId)
      .first<{ payload: string }>();
    expect(JSON.parse(cancelled!.payload).refundedMinor).toBe(0);

    // Not before its minute is up; then tried, failing again: the next wait is two minutes.
    await retryPendingRefunds(env, new Date(cancelledAt));
    expect((await fakeRefunds(order.paymentId)).count).toBe(1);
    await retryPendingRefunds(env, new Date(cancelledAt + 61_000));
    expect((await fakeRefunds(order.paymentId)).count).toBe(2);
    const second = await refundOf(order.orderId);
    expect(second.provider_ref).not.toBe(first.provider_ref);
    expect(second.failed_at).not.toBeNull();
    const next = await env.DB.prepare("select next_attempt_at as at from pending_refunds where id = ?")
      .bind(`retry:${second.provider_ref}`)
      .first<{ at: string }>();
    expect(Date.parse(next!.at) - (cancelledAt + 61_000)).toBeGreaterThanOrEqual(119_000);
    await retryPendingRefunds(env, new Date(cancelledAt + 122_000));
    expect((await fakeRefunds(order.paymentId)).count).toBe(2);

    // The balance is topped up: the next try pays it, and the shopper hears so.
    await behaveFor(order.paymentId, { refundsFailAs: null });
    await retryPendingRefunds(env, new Date(cancelledAt + 182_000));
    expect((await fakeRefunds(order.paymentId)).count).toBe(3);
    expect(await refundOf(order.orderId)).toMatchObject({ failed_at: null, id: first.id });
    expect((await owedOf(order.orderId)).every((o) => o.settled_at !== null)).toBe(true);
    expect(await books(order.orderId)).toEqual(booked);
    expect((await messagesOf(order.orderId)).map((m) => m.type)).toEqual([
      "order.refund_failed",
      "order.refund_failed",
      "order.refund_sent",
    ]);
  });

  it("a late payment's whole refund: owed again, listed under the order's first sub-order", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }], priceMinor: 3000 });
    const late = await newCustomer();
    const given = await checkout(late.token, [{ skuId: s.skuId, qty: 1 }]);
    expect(given.status).toBe(201);
    const orderId = given.body.order.id as string;
    const paymentId = given.body.payment.id as string;
    // Its hold lapses and another shopper buys the one unit before the payment arrives.
    await lapseHold(s.skuId, orderId);
    const buyer = await newCustomer();
    const sold = await checkout(buyer.token, [{ skuId: s.skuId, qty: 1 }]);
    expect(sold.status).toBe(201);
    await behaveFor(paymentId, { refundsFailAs: "expired_or_canceled_card" });
    const { event } = await settleIntent(paymentId, "succeeded");
    expect((await deliver(event)).status).toBe(200);

    const refund = await refundOf(orderId);
    expect(refund).toMatchObject({ amount_minor: 3000, failure_reason: "expired_or_canceled_card" });
    expect(await owedOf(orderId)).toEqual([
      expect.objectContaining({ id: `retry:${refund.provider_ref}`, awaiting_ops: 1, amount_minor: 3000 }),
    ]);
    const listed = await env.DB.prepare("select sub_order_id as s from pending_refunds where order_id = ?")
      .bind(orderId)
      .first<{ s: string }>();
    expect(listed!.s).toBe(given.body.order.subOrders[0].id);
    expect(await messagesOf(orderId)).toEqual([{ type: "order.refund_failed", refundedMinor: 3000, retried: false }]);
  });
});
