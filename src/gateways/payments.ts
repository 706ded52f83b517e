import type { Money } from "../contracts/common";

export type PaymentStatus = "requires_payment" | "succeeded" | "failed" | "canceled";

export type CreatedPayment = { id: string; status: PaymentStatus; clientSecret?: string };

export type ProviderResult<T> = { ok: true; value: T } | { ok: false; code: "PROVIDER_ERROR"; message: string };

/**
 * The payment provider as the order flow sees it. Implementations: Stripe (the official SDK)
 * and a local simulated provider whose state is the `payments` row itself.
 */
export interface PaymentProvider {
  readonly name: "simulated" | "stripe";
  /** `idempotencyKey` makes a retried create return the same payment. */
  create(input: {
    orderId: string;
    customerId: string;
    amount: Money;
    idempotencyKey: string;
  }): Promise<ProviderResult<CreatedPayment>>;
  /**
   * Cancels an unpaid payment; answers the provider's status when it cannot (e.g. it already succeeded),
   * with the charge behind a success.
   */
  cancel(paymentId: string): Promise<ProviderResult<{ status: PaymentStatus; chargeId?: string }>>;
  /**
   * Refunds part or all of a succeeded payment, once per idempotency key. `failure` is the
   * provider's reason when it made the refund but answered it already failed (the card refused it
   * at once): made, so the payment can be refunded again, but not paid to the shopper.
   */
  refund(input: {
    paymentId: string;
    amount: Money;
    idempotencyKey: string;
    reason: string;
  }): Promise<ProviderResult<{ refundId: string; failure: string | null }>>;
  /**
   * Every refund the provider holds for the payment, newest first, whoever made it: ours under
   * their keys and any made by hand in the provider's dashboard.
   */
  refundsOf(paymentId: string): Promise<ProviderResult<ProviderRefund[]>>;
}

/**
 * A refund as the provider keeps it. `pending` and `succeeded` are on their way to the shopper (a
 * later failure is reported as any refund's is); `requires_action` waits on the shopper and may be
 * canceled; `failed` and `canceled` gave the money back to the platform.
 */
export type ProviderRefund = {
  id: string;
  amount: Money;
  status: "pending" | "requires_action" | "succeeded" | "failed" | "canceled";
};
