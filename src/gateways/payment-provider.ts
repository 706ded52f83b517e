import { config } from "../platform/config";
import type { PaymentProvider } from "./payments";
import { simulatedProvider } from "./simulated-payments";
import { stripeProvider } from "./stripe";

/** Stripe when its keys are configured, else the local simulator. */
export function paymentProvider(env: Env): PaymentProvider {
  const stripe = config(env).stripe;
  return stripe ? stripeProvider(stripe) : simulatedProvider(env);
}
