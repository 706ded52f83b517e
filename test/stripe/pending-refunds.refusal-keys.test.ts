import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { findPendingRefund } from "../../src/db/payments";
import { retryPendingRefunds } from "../../src/jobs/pending-refunds";
import { payPendingRefund } from "../../src/money/owed-refunds";
import { behaveFor, fakeRefunds, fakeRequests, paidThroughFake } from "../stripe-fake/control";
import { api } from "../support/api";

/**
 * Stripe keeps the first answer under an Idempotency-Key for 24 hours once the endpoint ran,
 * refusals included: an owed refund refused for good once (a dispute, since resolved) must be
 * asked again under a new key, while one whose answer was lost (a 503, a timeout) keeps its key,
 * so a refund made but unanswered is never made twice.
 */

type Paid = Awaited<ReturnType<typeof paidThroughFake>>;

const MINUTE = 60_000;

async function cancelOwing(order: Paid) {
  const cancel = await api("POST", `/v1/orders/${order.orderId}/cancel`, {
    token: order.token,
    body: { reason: "changed_mind" },
  });
  expect(cancel.status).toBe(200);
}

const owedOf = (order: Paid) =>
  env.DB.prepare("select id, attempts, settled_at from pending_refunds where order_id = ?")
    .bind(order.orderId)
    .first<{ id: string; attempts: number; settled_at: string | null }>();

/** The Idempotency-Keys the provider was asked to refund the payment under, oldest first. */
const keysAsked = async (order: Paid) =>
  (await fakeRequests("/v1/refunds"))
    .filter((r) => r.method === "POST" && r.params.payment_intent === order.paymentId)
    .map((r) => r.idempotencyKey);

describe("an owed refund's key at the provider", () => {
  it("is a new one after a refusal Stripe keeps, so the refund is paid once the refusal is gone", async () => {
    const order = await paidThroughFake();
    await behaveFor(order.paymentId, { refuseRefundsAs: "charge_disputed" });
    await cancelOwing(order);
    expect(await owedOf(order)).toMatchObject({ attempts: 1, settled_at: null });

    // The dispute is resolved; the job's next run, two minutes on, pays it.
    await behaveFor(order.paymentId, {});
    await retryPendingRefunds(env, new Date(Date.now() + 2 * MINUTE));

    expect((await owedOf(order))!.settled_at).not.toBeNull();
    expect(await fakeRefunds(order.paymentId)).toEqual({ count: 1, amountMinor: 2500 });
    const key = `refund:sub:${order.subOrderId}`;
    expect(await keysAsked(order)).toEqual([key, `${key}#1`]);
  });

  it("moves on once per refusal, however many attempts under the refused key overlapped", async () => {
    const order = await paidThroughFake();
    await behaveFor(order.paymentId, { refuseRefundsAs: "charge_disputed" });
    await cancelOwing(order);
    // Two runs that read the row before the cancel's refusal landed: each is refused again under its key.
    const stale = { ...(await findPendingRefund(database(env), (await owedOf(order))!.id))!, refusals: 0 };
    await payPendingRefund(env, stale, new Date());
    await payPendingRefund(env, stale, new Date());

    await behaveFor(order.paymentId, {});
    await retryPendingRefunds(env, new Date(Date.now() + 10 * MINUTE));
    expect((await owedOf(order))!.settled_at).not.toBeNull();
    expect(await fakeRefunds(order.paymentId)).toEqual({ count: 1, amountMinor: 2500 });
    const key = `refund:sub:${order.subOrderId}`;
    expect(await keysAsked(order)).toEqual([key, key, key, `${key}#1`]);
  });

  it("stays the same after an outage or a lost answer, so a refund made unanswered is made once", async () => {
    const order = await paidThroughFake();
    await behaveFor(order.paymentId, { failRefunds: true });
    await cancelOwing(order);
    expect((await owedOf(order))!.attempts).toBe(1);

    // The provider makes it this time, but its answer is lost.
    await behaveFor(order.paymentId, { loseRefundAnswers: true });
    await retryPendingRefunds(env, new Date(Date.now() + 2 * MINUTE));
    expect((await owedOf(order))!).toMatchObject({ attempts: 2, settled_at: null });
    expect(await fakeRefunds(order.paymentId)).toEqual({ count: 1, amountMinor: 2500 });

    await behaveFor(order.paymentId, {});
    await retryPendingRefunds(env, new Date(Date.now() + 10 * MINUTE));
    expect((await owedOf(order))!.settled_at).not.toBeNull();
    expect(await fakeRefunds(order.paymentId)).toEqual({ count: 1, amountMinor: 2500 });
    const key = `refund:sub:${order.subOrderId}`;
    expect(await keysAsked(order)).toEqual([key, key, key]);
  });
});
