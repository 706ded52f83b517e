import { database, runBatch } from "../db/client";
import { accountUpdatedStatements, findPayoutEvent, recordTransferEvent } from "../db/payout-accounts";
import { isoSeconds } from "../domain/time";
import type { PayoutEvent } from "../gateways/payouts";
import { verifyPayoutEvent } from "../gateways/stripe-payouts";
import { config } from "../platform/config";

/**
 * A webhook body verified as a payout event: on the Connect endpoint with its own signing secret,
 * on the platform endpoint (transfer events happen on the platform's account) with the platform's.
 */
export async function verifiedPayoutEvent(
  env: Env,
  endpoint: "connect" | "platform",
  raw: string,
  signature: string | undefined,
): Promise<{ ok: true; event: PayoutEvent } | { ok: false; code: "NOT_CONFIGURED" | "BAD_SIGNATURE" }> {
  const stripe = config(env).stripe;
  const secret = endpoint === "connect" ? stripe?.connectWebhookSecret : stripe?.webhookSecret;
  if (!stripe || !secret) return { ok: false, code: "NOT_CONFIGURED" };
  const event = await verifyPayoutEvent(raw, signature, secret, stripe);
  return event ? { ok: true, event } : { ok: false, code: "BAD_SIGNATURE" };
}

/**
 * Applies a payout event once: `account.updated` moves the holding vendor's readiness (never back to
 * an older report), a transfer event is kept with its amounts and sub-order for reconciliation.
 * A replayed event id changes nothing; an event of another kind is not recorded.
 */
export async function applyPayoutEvent(env: Env, event: PayoutEvent, receivedAt: Date): Promise<{ applied: boolean }> {
  const db = database(env);
  if (!event.account && !event.transfer) return { applied: false };
  if (await findPayoutEvent(db, event.eventId)) return { applied: false };
  const at = isoSeconds(event.at);
  const received = isoSeconds(receivedAt);
  if (event.account) {
    await runBatch(
      db,
      accountUpdatedStatements(db, {
        eventId: event.eventId,
        type: event.type,
        accountId: event.account.accountId,
        readiness: event.account,
        at,
        receivedAt: received,
      }),
    );
    return { applied: true };
  }
  const t = event.transfer!;
  await runBatch(db, [
    recordTransferEvent(db, {
      id: event.eventId,
      type: event.type,
      accountId: t.destination,
      transferId: t.id,
      subOrderId: t.metadata?.subOrderId ?? null,
      amountMinor: t.amount.amountMinor,
      amountReversedMinor: t.amountReversedMinor,
      currency: t.amount.currency,
      occurredAt: at,
      receivedAt: received,
    }),
  ]);
  return { applied: true };
}
