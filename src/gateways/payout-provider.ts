import { config } from "../platform/config";
import type { PayoutFailure, PayoutProvider } from "./payouts";
import { simulatedPayouts } from "./simulated-payouts";
import { stripePayouts } from "./stripe-payouts";

const NOT_CONFIGURED = "Payouts are not configured: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET";

const refuse = async (): Promise<PayoutFailure> => ({ ok: false, code: "PROVIDER_ERROR", message: NOT_CONFIGURED });

// Production's payout provider is Stripe Connect; without its keys every call fails, so no money
// can quietly move through the simulator there.
const unconfigured: PayoutProvider = {
  name: "stripe",
  accounts: { create: refuse, onboardingLink: refuse, retrieve: refuse },
  transfers: { create: refuse, list: refuse },
  reversals: { create: refuse },
  balances: { retrieve: refuse },
  reports: { balanceTransactions: refuse },
};

/** Stripe Connect when Stripe is configured; the local simulator only in development; else refusals. */
export function payoutProvider(env: Env): PayoutProvider {
  const cfg = config(env);
  if (cfg.stripe) return stripePayouts(cfg.stripe);
  return cfg.simulatePayments ? simulatedPayouts(env) : unconfigured;
}
