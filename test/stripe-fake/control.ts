import { env } from "cloudflare:test";
import Stripe from "stripe";
import { expect } from "vitest";
import { config } from "../../src/platform/config";
import { api, newCustomer, type Reply } from "../support/api";
import { BENGALURU, checkout, stockedSku } from "../support/marketplace";
import type { FakeOutcome } from "./fake";

/** The Stripe settings the `stripe` vitest project gives the Worker, pointing at the fake. */
export function stripeSettings() {
  const stripe = config(env).stripe;
  if (!stripe?.apiBase)
    throw new Error("the stripe vitest project sets STRIPE_* bindings; is this test in test/stripe/?");
  return { ...stripe, apiBase: stripe.apiBase };
}

export type FakeEvent = { id: string; type: string; created: number; data: { object: { id: string } } };

/** Moves an intent in the fake as the shopper's bank would; returns the event Stripe would send for it. */
export async function settleIntent(
  paymentIntentId: string,
  outcome: FakeOutcome,
): Promise<{ paymentIntent: { id: string; status: string }; event: FakeEvent | null }> {
  const res = await fetch(`${stripeSettings().apiBase}/_fake/payment_intents/${paymentIntentId}/outcome`, {
    method: "POST",
    body: JSON.stringify({ outcome }),
  });
  if (!res.ok) throw new Error(`fake settle ${paymentIntentId} ${outcome}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Reads an intent straight from the fake, bypassing the adapter. */
export async function fakeIntent(paymentIntentId: string): Promise<{ id: string; status: string; amount: number }> {
  const res = await fetch(`${stripeSettings().apiBase}/v1/payment_intents/${paymentIntentId}`, {
    headers: { authorization: `Bearer ${stripeSettings().secretKey}` },
  });
  if (!res.ok) throw new Error(`fake intent ${paymentIntentId}: ${res.status}`);
  return res.json();
}

/** A Stripe-Signature header for the payload, computed as Stripe does with the SDK's own test helper. */
export async function sign(payload: string, secret = stripeSettings().webhookSecret, timestamp?: number) {
  return Stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret,
    timestamp,
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  });
}

/** Delivers an event to the Worker's webhook route, signed unless a signature (or null for none) is given. */
export async function deliver(event: unknown, signature?: string | null): Promise<Reply> {
  const payload = JSON.stringify(event);
  const header = signature === undefined ? await sign(payload) : signature;
  return api("POST", "/v1/webhooks/stripe", {
    rawBody: payload,
    headers: { "content-type": "application/json", ...(header === null ? {} : { "stripe-signature": header }) },
  });
}

/**
 * Makes the fake answer refunds and cancels of one intent slowly, refunds with an error while
 * `failRefunds`, and refunds made but already failed while `refundsFailAs` names a reason; refunds
 * refused with a 400 of the code `refuseRefundsAs`, kept under their key, and refunds made but
 * answered with a 503 while `loseRefundAnswers`.
 */
export async function behaveFor(
  paymentIntentId: string,
  behaviour: {
    delayMs?: number;
    failRefunds?: boolean;
    refundsFailAs?: string | null;
    refuseRefundsAs?: string | null;
    loseRefundAnswers?: boolean;
  },
) {
  const res = await fetch(`${stripeSettings().apiBase}/_fake/payment_intents/${paymentIntentId}/behaviour`, {
    method: "POST",
    body: JSON.stringify(behaviour),
  });
  if (!res.ok) throw new Error(`fake behaviour ${paymentIntentId}: ${res.status} ${await res.text()}`);
}

/** What the fake has refunded of an intent: the provider's side of "never refunded twice". */
export async function fakeRefunds(paymentIntentId: string): Promise<{ count: number; amountMinor: number }> {
  const res = await fetch(`${stripeSettings().apiBase}/_fake/payment_intents/${paymentIntentId}/refunds`);
  if (!res.ok) throw new Error(`fake refunds ${paymentIntentId}: ${res.status}`);
  return res.json();
}

/**
 * A refund made outside the platform, as ops would in Stripe's dashboard: no Idempotency-Key, the
 * whole remainder unless an amount is given. Answers the refund's id.
 */
export async function refundByHand(paymentIntentId: string, amountMinor?: number): Promise<string> {
  const res = await fetch(`${stripeSettings().apiBase}/v1/refunds`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${stripeSettings().secretKey}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({
      payment_intent: paymentIntentId,
      ...(amountMinor === undefined ? {} : { amount: String(amountMinor) }),
    }).toString(),
  });
  if (!res.ok) throw new Error(`fake refund by hand ${paymentIntentId}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** Fails a refund after the fake made it, as the shopper's closed card would; returns the `refund.failed` event. */
export async function failRefund(refundId: string, reason: string): Promise<{ event: FakeEvent }> {
  const res = await fetch(`${stripeSettings().apiBase}/_fake/refunds/${refundId}/fail`, {
    method: "POST",
    body: JSON.stringify({ reason }),
  });
  if (!res.ok) throw new Error(`fake fail refund ${refundId}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Completes a connected account's onboarding in the fake; returns the `account.updated` event Stripe would send. */
export async function onboardAccount(
  accountId: string,
): Promise<{ account: Record<string, unknown>; event: FakeEvent }> {
  const res = await fetch(`${stripeSettings().apiBase}/_fake/accounts/${accountId}/onboard`, { method: "POST" });
  if (!res.ok) throw new Error(`fake onboard ${accountId}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Makes the fake refuse the next `times` reads of a connected account with a 503, as an outage would. */
export async function failAccountReads(accountId: string, times: number): Promise<void> {
  const res = await fetch(`${stripeSettings().apiBase}/_fake/accounts/${accountId}/fail-reads`, {
    method: "POST",
    body: JSON.stringify({ times }),
  });
  if (!res.ok) throw new Error(`fake fail-reads ${accountId}: ${res.status} ${await res.text()}`);
}

/** Moves a connected account's whole available balance to its bank, so a reversal then finds it short. */
export async function payOutAccount(accountId: string): Promise<{ paidOutMinor: number }> {
  const res = await fetch(`${stripeSettings().apiBase}/_fake/accounts/${accountId}/payout`, { method: "POST" });
  if (!res.ok) throw new Error(`fake payout ${accountId}: ${res.status} ${await res.text()}`);
  return res.json();
}

export type FakeRequest = {
  method: string;
  path: string;
  params: Record<string, unknown>;
  idempotencyKey: string | null;
  stripeAccount: string | null;
};

/** The requests the fake received on a path, oldest first: what the adapter really sent. */
export async function fakeRequests(path: string): Promise<FakeRequest[]> {
  const res = await fetch(`${stripeSettings().apiBase}/_fake/requests?path=${encodeURIComponent(path)}`);
  if (!res.ok) throw new Error(`fake requests ${path}: ${res.status}`);
  return res.json();
}

/** Delivers an event to the Connect webhook route, signed with the Connect endpoint's own secret unless given. */
export async function deliverConnect(event: unknown, signature?: string | null): Promise<Reply> {
  const payload = JSON.stringify(event);
  const secret = stripeSettings().connectWebhookSecret;
  if (!secret) throw new Error("the stripe vitest project sets STRIPE_CONNECT_WEBHOOK_SECRET");
  const header = signature === undefined ? await sign(payload, secret) : signature;
  return api("POST", "/v1/webhooks/stripe-connect", {
    rawBody: payload,
    headers: { "content-type": "application/json", ...(header === null ? {} : { "stripe-signature": header }) },
  });
}

/** An event as Stripe wraps an object, for objects the fake does not emit events for (transfers). */
export function eventOf(type: string, object: { id: string }, account?: string): FakeEvent & Record<string, unknown> {
  return {
    id: `evt_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`,
    object: "event",
    api_version: "2026-01-01",
    type,
    created: Math.floor(Date.now() / 1000),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    ...(account ? { account } : {}),
  };
}

/** An order of one unit (at `priceMinor`) paid through the fake and its webhook. */
export async function paidThroughFake(priceMinor = 2500) {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor });
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const paymentId = placed.body.payment.id as string;
  const { event } = await settleIntent(paymentId, "succeeded");
  expect((await deliver(event)).status).toBe(200);
  return {
    token: shopper.token,
    orderId: placed.body.order.id as string,
    subOrderId: placed.body.order.subOrders[0].id as string,
    paymentId,
    vendorId: s.vendorId,
  };
}
