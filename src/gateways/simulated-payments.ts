import { database } from "../db/client";
import { paymentStatus, setOpenPaymentStatus } from "../db/payments";
import { sha256Hex } from "../domain/crypto";
import type { PaymentProvider } from "./payments";

/**
 * The local provider: no network, and its state is the `payments` row itself, changed only by
 * conditional updates so a simulated success and a cancellation can never both win.
 */
export function simulatedProvider(env: Env): PaymentProvider {
  const db = database(env);
  return {
    name: "simulated",
    async create({ idempotencyKey }) {
      // Derived from the key, so a retried create names the same payment, as Stripe's would.
      return {
        ok: true,
        value: { id: `pay_${(await sha256Hex(idempotencyKey)).slice(0, 24)}`, status: "requires_payment" },
      };
    },
    async cancel(paymentId) {
      const changed = await setOpenPaymentStatus(db, paymentId, "canceled").get();
      if (changed) return { ok: true, value: { status: "canceled" } };
      const status = (await paymentStatus(db, paymentId)) ?? "canceled";
      return {
        ok: true,
        value: { status, ...(status === "succeeded" ? { chargeId: await simulatedChargeId(paymentId) } : {}) },
      };
    },
    async refund({ idempotencyKey }) {
      return { ok: true, value: { refundId: `re_${(await sha256Hex(idempotencyKey)).slice(0, 24)}`, failure: null } };
    },
    async refundsOf() {
      // The simulator keeps no refunds of its own (each is named by its key, and every one is
      // granted) and has no dashboard to refund by hand: none is ever made that the app did not record.
      return { ok: true, value: [] };
    },
  };
}

/** The simulated charge behind a simulated payment's success, stable per payment as a provider's is. */
export async function simulatedChargeId(paymentId: string): Promise<string> {
  return `ch_sim_${(await sha256Hex(`charge:${paymentId}`)).slice(0, 24)}`;
}

/** Moves a simulated payment as the shopper's bank would; false when it is already settled otherwise. */
export async function settleSimulated(env: Env, paymentId: string, outcome: "succeeded" | "failed"): Promise<boolean> {
  const changed = await setOpenPaymentStatus(database(env), paymentId, outcome).get();
  return changed !== undefined;
}
