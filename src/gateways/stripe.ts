import Stripe from "stripe";
import { sha256Hex } from "../domain/crypto";
import type { Config } from "../platform/config";
import type { PaymentProvider, PaymentStatus, ProviderRefund, ProviderResult } from "./payments";

export type StripeConfig = NonNullable<Config["stripe"]>;

/** A verified Stripe event, reduced to what the order flow acts on; `outcome` null means acknowledge and ignore. */
export type PaymentEventFromProvider = {
  eventId: string;
  paymentId: string;
  /** The intent's `latest_charge`: on a success, the charge its vendor transfers name as source_transaction. */
  chargeId: string | null;
  outcome: "succeeded" | "failed" | "canceled" | null;
  /**
   * A refund the provider made and then failed (`refund.failed`, or `charge.refund.updated` to
   * `failed`): its money is back with the platform. `paymentId` is then the refunded intent.
   */
  refundFailure: { refundId: string; reason: string } | null;
  type: string;
  at: Date;
};

const clients = new WeakMap<StripeConfig, Stripe>();

/** One SDK client per configuration, shared by the payments and payouts adapters. */
export function client(cfg: StripeConfig): Stripe {
  const hit = clients.get(cfg);
  if (hit) return hit;
  const base = cfg.apiBase ? new URL(cfg.apiBase) : undefined;
  const stripe = new Stripe(cfg.secretKey, {
    // Workers have no Node http module; the SDK's fetch client uses the runtime's fetch.
    httpClient: Stripe.createFetchHttpClient(),
    // Retried POSTs carry the same Idempotency-Key, so a retry never charges twice.
    maxNetworkRetries: 2,
    ...(base
      ? {
          host: base.hostname,
          port: base.port || (base.protocol === "http:" ? "80" : "443"),
          protocol: base.protocol === "http:" ? ("http" as const) : ("https" as const),
        }
      : {}),
  });
  clients.set(cfg, stripe);
  return stripe;
}

/** Stripe has no "failed" intent: a declined attempt goes back to requires_payment_method, so the shopper may retry. */
function statusOf(pi: Stripe.PaymentIntent): PaymentStatus {
  switch (pi.status) {
    case "succeeded":
      return "succeeded";
    case "canceled":
      return "canceled";
    default:
      return "requires_payment";
  }
}

export const chargeOf = (c: unknown): string | null =>
  typeof c === "string" ? c : c && typeof c === "object" && "id" in c && typeof c.id === "string" ? c.id : null;

/**
 * The Idempotency-Key Stripe is sent for ours: Stripe refuses keys over 255 characters, and a
 * return's carries its caller's own key (up to 255), so a longer one goes as its digest, the same
 * on every retry. Keys that fit go unchanged, as they always did.
 */
export async function stripeKey(key: string): Promise<string> {
  return key.length <= 255 ? key : `sha256:${await sha256Hex(key)}`;
}

export function providerError(err: unknown): { ok: false; code: "PROVIDER_ERROR"; message: string } {
  // Anything the SDK raises (API refusals, timeouts, connection failures) is the provider's; other errors are bugs.
  if (err instanceof Stripe.errors.StripeError) {
    const kind = [err.rawType ?? err.type, err.code].filter(Boolean).join("/");
    return { ok: false, code: "PROVIDER_ERROR", message: `${kind}: ${err.message}` };
  }
  throw err;
}

export function stripeProvider(cfg: StripeConfig): PaymentProvider {
  const stripe = client(cfg);
  return {
    name: "stripe",
    async create({ orderId, customerId, amount, idempotencyKey }) {
      try {
        const pi = await stripe.paymentIntents.create(
          {
            amount: amount.amountMinor,
            currency: amount.currency.toLowerCase(),
            // Vendor payouts are transfers in this group, so they trace back to the one charge.
            transfer_group: orderId,
            metadata: { orderId, customerId },
            automatic_payment_methods: { enabled: true },
          },
          { idempotencyKey: await stripeKey(idempotencyKey) },
        );
        return { ok: true, value: { id: pi.id, status: statusOf(pi), clientSecret: pi.client_secret ?? undefined } };
      } catch (err) {
        return providerError(err);
      }
    },

    async cancel(paymentId): Promise<ProviderResult<{ status: PaymentStatus; chargeId?: string }>> {
      try {
        const pi = await stripe.paymentIntents.cancel(paymentId);
        return { ok: true, value: { status: statusOf(pi) } };
      } catch (err) {
        // Stripe refuses to cancel a succeeded, processing or already canceled intent; the caller needs its real
        // status (a success not yet applied must take the late-payment path, not be cancelled).
        if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === "payment_intent_unexpected_state") {
          try {
            const pi = await stripe.paymentIntents.retrieve(paymentId);
            const chargeId = chargeOf(pi.latest_charge);
            return { ok: true, value: { status: statusOf(pi), ...(chargeId ? { chargeId } : {}) } };
          } catch (retrieveErr) {
            return providerError(retrieveErr);
          }
        }
        return providerError(err);
      }
    },

    async refund({ paymentId, amount, idempotencyKey, reason }) {
      try {
        const refund = await stripe.refunds.create(
          {
            payment_intent: paymentId,
            amount: amount.amountMinor,
            reason: "requested_by_customer",
            metadata: { reason },
          },
          { idempotencyKey: await stripeKey(idempotencyKey) },
        );
        // A refund can come back already failed (or canceled): made, but nothing reached the shopper.
        const failed = refund.status === "failed" || refund.status === "canceled";
        return {
          ok: true,
          value: { refundId: refund.id, failure: failed ? (refund.failure_reason ?? "unknown") : null },
        };
      } catch (err) {
        return providerError(err);
      }
    },

    async refundsOf(paymentId) {
      try {
        const out: ProviderRefund[] = [];
        // The SDK follows `has_more` with `starting_after`, one request per page.
        for await (const r of stripe.refunds.list({ payment_intent: paymentId, limit: 100 })) {
          out.push({
            id: r.id,
            amount: { amountMinor: r.amount, currency: r.currency.toUpperCase() },
            status: refundStatusOf(r.status),
          });
        }
        return { ok: true, value: out };
      } catch (err) {
        return providerError(err);
      }
    },
  };
}

/** Stripe's refund statuses; one it may add later counts as not on its way, so it never settles what is owed. */
function refundStatusOf(status: string | null): ProviderRefund["status"] {
  switch (status) {
    case "pending":
    case "requires_action":
    case "succeeded":
    case "failed":
      return status;
    default:
      return "canceled";
  }
}

const outcomes: Record<string, PaymentEventFromProvider["outcome"]> = {
  "payment_intent.succeeded": "succeeded",
  "payment_intent.payment_failed": "failed",
  "payment_intent.canceled": "canceled",
};

/** The refund a `refund.failed` or `charge.refund.updated` event reports failed; null for any other event. */
function failedRefundOf(event: Stripe.Event): Stripe.Refund | null {
  if (event.type !== "refund.failed" && event.type !== "charge.refund.updated") return null;
  const refund = event.data.object as Stripe.Refund;
  return refund.object === "refund" && refund.status === "failed" ? refund : null;
}

let cryptoProvider: ReturnType<typeof Stripe.createSubtleCryptoProvider> | undefined;

/** The event a Stripe-Signature verifies over these exact bytes with this endpoint's secret; null when it does not. */
export async function verifiedEvent(
  rawBody: string,
  signature: string | undefined,
  secret: string,
  cfg: StripeConfig,
): Promise<Stripe.Event | null> {
  if (!signature) return null;
  // Workers have no Node crypto; SubtleCrypto is async, hence constructEventAsync.
  cryptoProvider ??= Stripe.createSubtleCryptoProvider();
  try {
    return await client(cfg).webhooks.constructEventAsync(rawBody, signature, secret, undefined, cryptoProvider);
  } catch (err) {
    if (err instanceof Stripe.errors.StripeSignatureVerificationError || err instanceof SyntaxError) return null;
    throw err;
  }
}

/**
 * Verifies a webhook's Stripe-Signature over the exact bytes received (re-serialised JSON would not verify),
 * within the SDK's default five-minute tolerance against replays.
 */
export async function verifyStripeWebhook(
  rawBody: string,
  signature: string | undefined,
  secret: string,
  cfg: StripeConfig,
): Promise<{ ok: true; event: PaymentEventFromProvider } | { ok: false }> {
  const event = await verifiedEvent(rawBody, signature, secret, cfg);
  if (!event) return { ok: false };
  const object = event.data.object as { id?: unknown; latest_charge?: unknown };
  const refund = failedRefundOf(event);
  return {
    ok: true,
    event: {
      eventId: event.id,
      paymentId: refund ? (chargeOf(refund.payment_intent) ?? "") : typeof object.id === "string" ? object.id : "",
      chargeId: chargeOf(object.latest_charge),
      outcome: outcomes[event.type] ?? null,
      refundFailure: refund ? { refundId: refund.id, reason: refund.failure_reason ?? "unknown" } : null,
      type: event.type,
      at: new Date(event.created * 1000),
    },
  };
}
