import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { verifyStripeWebhook } from "../../src/gateways/stripe";
import { deliver, eventOf, sign, stripeSettings } from "../stripe-fake/control";
import { api, uid } from "../support/api";

function paymentEvent(type: string, paymentIntentId = uid("pi_")) {
  return {
    id: uid("evt_"),
    object: "event",
    api_version: "2026-01-01",
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: paymentIntentId, object: "payment_intent", status: "succeeded" } },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

async function appliedEvents(eventId: string) {
  const row = await env.DB.prepare("select count(*) as n from payment_events where id = ?").bind(eventId).first<{
    n: number;
  }>();
  return row?.n ?? 0;
}

describe("POST /v1/webhooks/stripe signature", () => {
  it("answers 400 BAD_SIGNATURE to a body signed with another secret, and records nothing", async () => {
    const event = paymentEvent("payment_intent.succeeded");
    const r = await deliver(event, await sign(JSON.stringify(event), "whsec_someone_else"));
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toMatch(/application\/problem\+json/);
    expect(r.body).toMatchObject({ code: "BAD_SIGNATURE", status: 400 });
    expect(await appliedEvents(event.id)).toBe(0);
  });

  it("answers 400 when the body was changed after signing", async () => {
    const event = paymentEvent("payment_intent.succeeded");
    const signature = await sign(JSON.stringify(event));
    const r = await deliver({ ...event, type: "payment_intent.canceled" }, signature);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("BAD_SIGNATURE");
  });

  it("answers 400 to a correctly signed but stale delivery (a replay)", async () => {
    const event = paymentEvent("payment_intent.succeeded");
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    const r = await deliver(event, await sign(JSON.stringify(event), undefined, tenMinutesAgo));
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("BAD_SIGNATURE");
  });

  it("answers 400 without a Stripe-Signature header, and to a malformed one", async () => {
    const event = paymentEvent("payment_intent.succeeded");
    const missing = await deliver(event, null);
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe("BAD_SIGNATURE");
    const garbage = await deliver(event, "not-a-signature");
    expect(garbage.status).toBe(400);
    expect(garbage.body.code).toBe("BAD_SIGNATURE");
  });

  it("acknowledges a verified event of a type it does not act on", async () => {
    const event = {
      ...paymentEvent("charge.refund.updated"),
      data: { object: { id: uid("re_"), object: "refund" } },
    };
    const r = await deliver(event);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ received: true });
    expect(await appliedEvents(event.id)).toBe(0);
  });

  it("acknowledges a verified outcome for a payment it never created, so Stripe stops retrying", async () => {
    const event = paymentEvent("payment_intent.succeeded", "pi_not_ours");
    const r = await deliver(event);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ received: true });
  });

  it("accepts a body that is not JSON-typed: the signature, not the media type, authenticates it", async () => {
    const event = paymentEvent("customer.created");
    const payload = JSON.stringify(event);
    const r = await api("POST", "/v1/webhooks/stripe", {
      rawBody: payload,
      headers: { "content-type": "text/plain", "stripe-signature": await sign(payload) },
    });
    expect(r.status).toBe(200);
  });
});

describe("verifyStripeWebhook", () => {
  it("maps payment intent events to outcomes and keeps the event's id and time", async () => {
    const cfg = stripeSettings();
    for (const [type, outcome] of [
      ["payment_intent.succeeded", "succeeded"],
      ["payment_intent.payment_failed", "failed"],
      ["payment_intent.canceled", "canceled"],
      ["payment_intent.created", null],
    ] as const) {
      const event = paymentEvent(type);
      const payload = JSON.stringify(event);
      const v = await verifyStripeWebhook(payload, await sign(payload), cfg.webhookSecret, cfg);
      expect(v).toEqual({
        ok: true,
        event: {
          eventId: event.id,
          paymentId: event.data.object.id,
          // This event's intent names no charge.
          chargeId: null,
          outcome,
          refundFailure: null,
          type,
          at: new Date(event.created * 1000),
        },
      });
    }
  });

  it("maps a failed refund to the refund, its reason and its payment, and a refund still fine to nothing", async () => {
    const cfg = stripeSettings();
    const refund = (status: string) => ({
      id: "re_123",
      object: "refund",
      amount: 2500,
      payment_intent: "pi_123",
      status,
      failure_reason: status === "failed" ? "expired_or_canceled_card" : undefined,
    });
    for (const [type, status, failure] of [
      ["refund.failed", "failed", { refundId: "re_123", reason: "expired_or_canceled_card" }],
      ["charge.refund.updated", "failed", { refundId: "re_123", reason: "expired_or_canceled_card" }],
      ["charge.refund.updated", "succeeded", null],
    ] as const) {
      const event = eventOf(type, refund(status));
      const payload = JSON.stringify(event);
      const v = await verifyStripeWebhook(payload, await sign(payload), cfg.webhookSecret, cfg);
      expect(v).toMatchObject({ ok: true, event: { refundFailure: failure, outcome: null, type } });
      if (failure) expect(v).toMatchObject({ event: { paymentId: "pi_123" } });
    }
  });
});
