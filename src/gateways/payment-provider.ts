import { config } from "../platform/config";
import type { PaymentProvider, ProviderResult } from "./payments";
import { simulatedProvider } from "./simulated-payments";
import { stripeProvider } from "./stripe";

const NOT_CONFIGURED = "Payments are not configured: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET";

/** False only in production without Stripe keys, where checkout is refused before any stock is held. */
export function paymentsConfigured(env: Env): boolean {
  const cfg = config(env);
  return cfg.stripe !== undefined || cfg.simulatePayments;
}

const refuse = async (): Promise<ProviderResult<never>> => ({
  ok: false,
  code: "PROVIDER_ERROR",
  message: NOT_CONFIGURED,
});

// Production's provider is Stripe; without its keys every call fails, so no money path can
// quietly succeed against a simulator.
const unconfiguredStripe: PaymentProvider = {
  name: "stripe",
  create: refuse,
  cancel: refuse,
  refund: refuse,
  refundsOf: refuse,
};

/** Stripe when its keys are configured; the local simulator only in development; else refusals. */
export function paymentProvider(env: Env): PaymentProvider {
  const cfg = config(env);
  if (cfg.stripe) return stripeProvider(cfg.stripe);
  return cfg.simulatePayments ? simulatedProvider(env) : unconfiguredStripe;
}
