import { describe, expect, it } from "vitest";
import { stripeProvider } from "../../src/gateways/stripe";
import { behaveFor, fakeIntent, settleIntent, stripeSettings } from "../stripe-fake/control";
import { uid } from "../support/api";

const inr = (amountMinor: number) => ({ amountMinor, currency: "INR" });

function newPayment(amountMinor = 12_500) {
  const provider = stripeProvider(stripeSettings());
  const input = { orderId: uid("ord"), customerId: uid("cus"), amount: inr(amountMinor), idempotencyKey: uid("key") };
  return { provider, input };
}

async function createOk(amountMinor?: number) {
  const { provider, input } = newPayment(amountMinor);
  const created = await provider.create(input);
  if (!created.ok) throw new Error(created.message);
  return { provider, input, payment: created.value };
}

describe("stripe adapter, through the official SDK against the fake", () => {
  it("creates a PaymentIntent on the platform with the order as its transfer group", async () => {
    const { input, payment } = await createOk(12_500);
    expect(payment.id).toMatch(/^pi_/);
    expect(payment.status).toBe("requires_payment");
    expect(payment.clientSecret).toMatch(new RegExp(`^${payment.id}_secret_`));
    const pi = (await fakeIntent(payment.id)) as any;
    expect(pi).toMatchObject({
      amount: 12_500,
      currency: "inr",
      transfer_group: input.orderId,
      metadata: { orderId: input.orderId, customerId: input.customerId },
      automatic_payment_methods: { enabled: true },
    });
  });

  it("answers the same intent when the create is retried with the same idempotency key", async () => {
    const { provider, input } = newPayment();
    const first = await provider.create(input);
    const again = await provider.create(input);
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(again.value).toEqual(first.value);

    const other = await provider.create({ ...input, idempotencyKey: uid("key") });
    expect(other.ok && other.value.id).not.toBe(first.value.id);
  });

  it("reports a provider error when the same key is reused for another amount", async () => {
    const { provider, input } = newPayment(1_000);
    expect((await provider.create(input)).ok).toBe(true);
    const reused = await provider.create({ ...input, amount: inr(2_000) });
    expect(reused).toMatchObject({ ok: false, code: "PROVIDER_ERROR" });
    if (!reused.ok) expect(reused.message).toMatch(/idempotency_error/);
  });

  it("cancels an unpaid intent", async () => {
    const { provider, payment } = await createOk();
    expect(await provider.cancel(payment.id)).toEqual({ ok: true, value: { status: "canceled" } });
    expect((await fakeIntent(payment.id)).status).toBe("canceled");
    // A second cancel is refused by Stripe; the adapter answers the real status.
    expect(await provider.cancel(payment.id)).toEqual({ ok: true, value: { status: "canceled" } });
  });

  it("reports succeeded when asked to cancel an intent that already succeeded", async () => {
    const { provider, payment } = await createOk();
    const settled = await settleIntent(payment.id, "succeeded");
    // With the charge behind the success, which the payout transfers name as their source.
    const chargeId = (settled.paymentIntent as { latest_charge?: string }).latest_charge;
    expect(chargeId).toMatch(/^ch_/);
    expect(await provider.cancel(payment.id)).toEqual({ ok: true, value: { status: "succeeded", chargeId } });
    expect((await fakeIntent(payment.id)).status).toBe("succeeded");
  });

  it("reports a still-open payment when the intent is processing and cannot be cancelled", async () => {
    const { provider, payment } = await createOk();
    await settleIntent(payment.id, "processing");
    expect(await provider.cancel(payment.id)).toEqual({ ok: true, value: { status: "requires_payment" } });
    expect((await fakeIntent(payment.id)).status).toBe("processing");
  });

  it("keeps a declined intent open for another attempt", async () => {
    const { provider, payment } = await createOk();
    await settleIntent(payment.id, "failed");
    expect((await fakeIntent(payment.id)).status).toBe("requires_payment_method");
    expect(await provider.cancel(payment.id)).toEqual({ ok: true, value: { status: "canceled" } });
  });

  it("reports a provider error for an intent Stripe does not know", async () => {
    const provider = stripeProvider(stripeSettings());
    expect(await provider.cancel("pi_doesnotexist")).toMatchObject({ ok: false, code: "PROVIDER_ERROR" });
  });

  it("refunds part of a payment, once per idempotency key, and refuses an over-refund", async () => {
    const { provider, payment } = await createOk(10_000);
    await settleIntent(payment.id, "succeeded");

    const part = { paymentId: payment.id, amount: inr(4_000), idempotencyKey: uid("rk"), reason: "sla_breach" };
    const first = await provider.refund(part);
    expect(first).toMatchObject({ ok: true, value: { failure: null } });
    expect(await provider.refund(part)).toEqual(first);

    const tooMuch = await provider.refund({ ...part, amount: inr(6_001), idempotencyKey: uid("rk") });
    expect(tooMuch).toMatchObject({ ok: false, code: "PROVIDER_ERROR" });
    if (!tooMuch.ok) expect(tooMuch.message).toMatch(/amount_too_large/);

    const rest = await provider.refund({ ...part, amount: inr(6_000), idempotencyKey: uid("rk") });
    expect(rest.ok).toBe(true);
    const more = await provider.refund({ ...part, amount: inr(1), idempotencyKey: uid("rk") });
    expect(more).toMatchObject({ ok: false, code: "PROVIDER_ERROR" });
  });

  it("reports a refund the provider answers already failed with the provider's reason", async () => {
    const { provider, payment } = await createOk(10_000);
    await settleIntent(payment.id, "succeeded");
    await behaveFor(payment.id, { refundsFailAs: "expired_or_canceled_card" });
    const refund = await provider.refund({
      paymentId: payment.id,
      amount: inr(4_000),
      idempotencyKey: uid("rk"),
      reason: "changed_mind",
    });
    expect(refund).toEqual({
      ok: true,
      value: { refundId: expect.stringMatching(/^re_/), failure: "expired_or_canceled_card" },
    });
  });

  it("refuses to refund a payment that has not succeeded", async () => {
    const { provider, payment } = await createOk();
    const refund = await provider.refund({
      paymentId: payment.id,
      amount: inr(100),
      idempotencyKey: uid("rk"),
      reason: "late_payment_refunded",
    });
    expect(refund).toMatchObject({ ok: false, code: "PROVIDER_ERROR" });
  });

  it("reports a provider error, not an exception, when Stripe cannot be reached", async () => {
    const provider = stripeProvider({ ...stripeSettings(), apiBase: "http://127.0.0.1:9" });
    const created = await provider.create(newPayment().input);
    expect(created).toMatchObject({ ok: false, code: "PROVIDER_ERROR" });
  });
});
