import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { retryPendingRefunds } from "../../src/jobs/pending-refunds";
import { behaveFor, paidThroughFake } from "../stripe-fake/control";
import { api, tokenFor } from "../support/api";

/** The failed attempt that alerts ops (`OPS_ALERT_AT_ATTEMPT`): about an hour after the first. */
const OPS_ALERT_AT_ATTEMPT = 7;

type Alert = { template: string; text: string; params: Record<string, unknown> };

describe("a cancel's refund the provider keeps refusing", () => {
  it("alerts ops once, at the 7th failed attempt, and goes on retrying", async () => {
    const order = await paidThroughFake();
    await behaveFor(order.paymentId, { failRefunds: true });
    const cancel = await api("POST", `/v1/orders/${order.orderId}/cancel`, {
      token: order.token,
      body: { reason: "changed_mind" },
    });
    expect(cancel.status).toBe(200);
    const owed = () =>
      env.DB.prepare("select id, attempts, next_attempt_at as next from pending_refunds where order_id = ?")
        .bind(order.orderId)
        .first<{ id: string; attempts: number; next: string }>();
    const alerts = () =>
      env.DB.prepare(
        "select template, payload from notifications where template = 'refund_retries_failing' and dedupe_key like ?",
      )
        .bind(`%${order.subOrderId}%`)
        .all<{ template: string; payload: string }>();
    // Each job run once the refund's back-off is over: one more refusal each.
    const failOnceMore = async () => {
      const before = (await owed())!;
      await retryPendingRefunds(env, new Date(Date.parse(before.next) + 1_000));
      expect((await owed())!.attempts).toBe(before.attempts + 1);
    };

    expect((await owed())!.attempts).toBe(1);
    while ((await owed())!.attempts < OPS_ALERT_AT_ATTEMPT - 1) await failOnceMore();
    // Six refusals, the last about half an hour after the first: a long outage, still nothing for ops.
    expect((await alerts()).results).toHaveLength(0);

    await failOnceMore();
    const [alert] = (await alerts()).results;
    expect((await alerts()).results).toHaveLength(1);
    const { text, params } = JSON.parse(alert!.payload) as { text: string; params: Record<string, unknown> };
    const refundId = (await owed())!.id;
    expect(params).toMatchObject({
      orderId: order.orderId,
      subOrderId: order.subOrderId,
      pendingRefundId: refundId,
      kind: "cancel",
      amountMinor: 2500,
      currency: "INR",
      attempts: 7,
    });
    expect(text).toContain(order.orderId);
    expect(text).toContain("2500 INR");
    expect(text).toContain(String(params.lastError));
    expect(String(params.lastError).length).toBeGreaterThan(0);
    expect(text).toContain(`/v1/admin/refunds/pending/${refundId}/retry`);

    // Still retried, and still one alert however often it is refused again.
    await failOnceMore();
    await failOnceMore();
    expect((await alerts()).results).toHaveLength(1);

    // Ops see it in their list.
    const listed = await api("GET", "/v1/ops-alerts?limit=10", { token: await tokenFor("ops") });
    expect(listed.status).toBe(200);
    expect((listed.body.items as Alert[]).filter((a) => a.template === "refund_retries_failing")).toEqual([
      expect.objectContaining({ params: expect.objectContaining({ pendingRefundId: refundId }) }),
    ]);
  });
});
