import type { PaymentRow } from "../db/orders";
import { paymentProvider } from "../gateways/payment-provider";
import { releaseUnpaid } from "../gateways/stock";
import type { Placing } from "./attempt";
import type { Answered } from "./outcome";

/**
 * Creates the payment before the order is written, so the batch records it with the order. Its
 * idempotency key derives from the order id: a retried checkout sharing the hold gets the same
 * payment back.
 * Nothing is charged here; a refused create gives the stock back.
 */
export async function createPayment(
  a: Placing,
  skuIds: string[],
  totalMinor: number,
): Promise<{ payment: PaymentRow } | Answered> {
  const provider = paymentProvider(a.env);
  const created = await provider.create({
    orderId: a.orderId,
    customerId: a.customer.customerId,
    amount: { amountMinor: totalMinor, currency: a.cfg.currency },
    idempotencyKey: `checkout:${a.orderId}`,
  });
  if (!created.ok) {
    await releaseUnpaid(a.env, a.holdId, skuIds, "payment_create_failed");
    return { answer: { ok: false, code: "PAYMENT_PROVIDER_ERROR", detail: created.message } };
  }
  return {
    payment: {
      id: created.value.id,
      orderId: a.orderId,
      provider: provider.name,
      status: "requires_payment",
      amountMinor: totalMinor,
      refundedMinor: 0,
      currency: a.cfg.currency,
      clientSecret: created.value.clientSecret ?? null,
      chargeId: null,
      createdAt: a.nowIso,
      updatedAt: a.nowIso,
    },
  };
}
