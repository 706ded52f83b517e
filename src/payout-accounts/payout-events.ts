import { database, runBatch } from "../db/client";
import {
  accountUpdatedStatements,
  findPayoutEvent,
  forgetPayoutEvent,
  type Readiness,
  recordTransferEvent,
  sameSecondReport,
  settledReportStatements,
} from "../db/payout-accounts";
import { isoSeconds } from "../domain/time";
import { payoutProvider } from "../gateways/payout-provider";
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
 * Settles an `account.updated` that ties another report of its second (`sameSecondReport`): its body
 * may be the older state, so the account is read (one provider request) and that is recorded. When
 * the read fails the event is forgotten and false answered, so the webhook fails and the provider's
 * redelivery settles it (a replay of a recorded event changes nothing, and no other event may come).
 */
async function settleTie(
  env: Env,
  report: { eventId: string; accountId: string; readiness: Readiness; at: string },
): Promise<boolean> {
  const db = database(env);
  if (!(await sameSecondReport(db, report))) return true;
  const current = await payoutProvider(env).accounts.retrieve(report.accountId);
  if (!current.ok) {
    console.warn(
      JSON.stringify({
        payoutEvent: report.eventId,
        accountId: report.accountId,
        unsettled: current.code,
        detail: current.message,
      }),
    );
    await forgetPayoutEvent(db, report.eventId);
    return false;
  }
  await runBatch(db, settledReportStatements(db, { ...report, readiness: current.value }));
  return true;
}

/**
 * Applies a payout event once: `account.updated` moves the holding vendor's readiness (never back to
 * an older report; a report of the same second as another is settled by reading the account), a
 * transfer event is kept with its amounts and sub-order for reconciliation.
 * A replayed event id changes nothing; an event of another kind is not recorded. `settled` false: a
 * tie the account could not be read for, forgotten for the provider to deliver again.
 */
export async function applyPayoutEvent(
  env: Env,
  event: PayoutEvent,
  receivedAt: Date,
): Promise<{ applied: boolean; settled: boolean }> {
  const db = database(env);
  if (!event.account && !event.transfer) return { applied: false, settled: true };
  if (await findPayoutEvent(db, event.eventId)) return { applied: false, settled: true };
  const at = isoSeconds(event.at);
  const received = isoSeconds(receivedAt);
  if (event.account) {
    const report = { eventId: event.eventId, accountId: event.account.accountId, readiness: event.account, at };
    await runBatch(db, accountUpdatedStatements(db, { ...report, type: event.type, receivedAt: received }));
    return { applied: true, settled: await settleTie(env, report) };
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
  return { applied: true, settled: true };
}
