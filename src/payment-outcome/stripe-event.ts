import { verifyStripeWebhook } from "../gateways/stripe";
import { config } from "../platform/config";

/**
 * A Stripe webhook body verified against its signature with this deployment's signing secret, or
 * why not: Stripe is not configured here, or the signature does not cover these exact bytes.
 */
export async function verifiedStripeEvent(env: Env, raw: string, signature: string | undefined) {
  const stripe = config(env).stripe;
  if (!stripe) return { ok: false as const, code: "NOT_CONFIGURED" as const };
  const verified = await verifyStripeWebhook(raw, signature, stripe.webhookSecret, stripe);
  return verified.ok ? verified : { ok: false as const, code: "BAD_SIGNATURE" as const };
}
