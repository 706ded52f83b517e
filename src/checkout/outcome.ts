import type { FieldError } from "../contracts/common";
import type { CheckoutResult } from "../contracts/orders";
import type { Shortage } from "../domain/routing/types";

export type CheckoutOutcome =
  | { ok: true; body: CheckoutResult; replayed: boolean }
  | { ok: false; code: "IDEMPOTENCY_KEY_REUSED"; detail: string }
  | { ok: false; code: "VALIDATION_FAILED"; detail: string; errors: FieldError[] }
  | { ok: false; code: "OUT_OF_STOCK"; shortages: Shortage[] }
  | { ok: false; code: "RATE_LIMITED"; detail: string; retryAfterSeconds: number }
  | { ok: false; code: "PAYMENT_PROVIDER_ERROR"; detail: string }
  | { ok: false; code: "PAYMENTS_NOT_CONFIGURED"; detail: string };

/** What a step hands back instead of its result when it ends the checkout (a refusal or a replay). */
export type Answered = { answer: CheckoutOutcome };
