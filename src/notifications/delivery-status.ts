import { database, runBatch } from "../db/client";
import {
  emailInsteadOfSent,
  failSentWhatsApp,
  retrySentWhatsApp,
  type SentWhatsAppFailure,
  type SentWhatsAppRetry,
  whatsAppSendsOf,
} from "../db/notifications";
import { timingSafeEqualText } from "../domain/crypto";
import { verifyHmacSha256 } from "../domain/hmac";
import { isoSeconds } from "../domain/time";
import { config } from "../platform/config";
import { nextAttemptAt } from "./channels/port";
import { retryableWhatsAppCode } from "./channels/whatsapp";

/**
 * Meta's codes for a message it took but could not deliver to that recipient, whoever sends it:
 * no WhatsApp on the number, an old app or unaccepted terms (131026), held back for the user's
 * engagement (131049), marketing stopped by the user (131050), an experiment group (130472), the
 * 24-hour window (131047). The message will never arrive there; an email may.
 */
const UNDELIVERABLE_TO_RECIPIENT = new Set([131026, 131047, 131049, 131050, 130472]);

/** One entry of `value.statuses` in a WhatsApp Cloud API `messages` webhook. */
export type WhatsAppStatus = {
  /** The wamid the send was answered with. */
  id: string;
  status: string;
  /** `biz_opaque_callback_data`: the thread key the message was sent with. */
  thread?: string;
  errors: { code: number; title?: string; details?: string }[];
};

export type StatusesApplied =
  | { ok: true; failed: number; retrying: number; ignored: number }
  /** A failure for a message whose send is still being recorded (the rest applied): Meta should deliver it again. */
  | { ok: false; code: "IN_FLIGHT"; wamid: string };

/**
 * Checks `X-Hub-Signature-256: sha256=<hex>`, Meta's HMAC-SHA256 of the exact body bytes with the
 * app secret, by Web Crypto's verify (constant time). Unconfigured: nothing verifies.
 */
export async function verifiedWhatsAppDelivery(env: Env, body: ArrayBuffer, header: string | undefined) {
  const hook = config(env).whatsappWebhook;
  if (!hook) return { ok: false as const, code: "NOT_CONFIGURED" as const };
  return (await verifyHmacSha256(hook.appSecret, body, header))
    ? { ok: true as const }
    : { ok: false as const, code: "BAD_SIGNATURE" as const };
}

/**
 * Meta's subscription handshake: the challenge to echo when the mode is `subscribe` and the token is
 * the one configured here (compared in constant time), otherwise why not.
 */
export function subscriptionChallenge(env: Env, q: { mode?: string; token?: string; challenge?: string }) {
  const hook = config(env).whatsappWebhook;
  if (!hook) return { ok: false as const, code: "NOT_CONFIGURED" as const };
  if (q.mode !== "subscribe" || q.challenge === undefined || !timingSafeEqualText(q.token ?? "", hook.verifyToken)) {
    return { ok: false as const, code: "FORBIDDEN" as const };
  }
  return { ok: true as const, challenge: q.challenge };
}

const reasonOf = (s: WhatsAppStatus) =>
  s.errors.length === 0
    ? "whatsapp: failed after it was accepted (no reason given)"
    : `whatsapp: failed after it was accepted: ${s.errors
        .map((e) => [e.code, e.title, e.details].filter(Boolean).join(" "))
        .join("; ")}`.slice(0, 1000);

/**
 * Applies WhatsApp's reports on messages it had accepted. Only `failed` changes anything, and only
 * the message we sent under that wamid while it is still recorded as sent, so a report delivered
 * again is harmless. A reason that passes or that an operator clears (a throttle, a locked or unpaid
 * account: the codes a send is retried for, channels/whatsapp.ts) queues the message again under
 * the sender's schedule, its attempts counting the send Meta reported; once they are spent it fails
 * and goes by email instead, as the sender's last refusal would. A reason of the recipient's (no
 * WhatsApp on a landline) fails it and sends it by email instead, once, as a refusal at send time
 * does. Any other reason fails it. `sent`, `delivered`, `read` and statuses of messages this
 * deployment never sent change nothing.
 *
 * A delivery may hold a thousand reports and more (3 MB), and one invocation gets 1,000 D1 queries:
 * the reports are read together and applied in one batch, each statement over up to 500 of them, so
 * a large delivery costs a few queries more than a small one, not a few per report. A wamid reported
 * twice is decided by its first report, as two deliveries in turn would be.
 */
export async function applyWhatsAppStatuses(
  env: Env,
  statuses: readonly WhatsAppStatus[],
  now: Date,
): Promise<StatusesApplied> {
  const db = database(env);
  const emailFallback = !!config(env).email;
  const at = isoSeconds(now);
  const reports = statuses.filter((s) => s.status === "failed");
  const sends = await whatsAppSendsOf(
    db,
    reports.map((s) => ({ providerRef: s.id, threadKey: s.thread })),
    at,
  );
  const retries = new Map<string, SentWhatsAppRetry>();
  const failures = new Map<string, SentWhatsAppFailure>();
  const byEmail = new Set<string>();
  let inFlight: string | undefined;
  let failed = 0;
  let retrying = 0;
  let ignored = statuses.length - reports.length;
  for (const [i, s] of reports.entries()) {
    const send = sends[i];
    // Meta can report a failure before the sender records the wamid (it records each outcome as its
    // send comes back): refuse the delivery while a message of that thread is out, and Meta delivers
    // it again; the rest of it is applied now, and changes nothing the second time.
    if (send?.state === "in_flight") {
      inFlight ??= s.id;
      continue;
    }
    if (!send) {
      ignored += 1;
      continue;
    }
    const decided = retries.has(s.id) || failures.has(s.id);
    const error = reasonOf(s);
    const recipients = s.errors.some((e) => UNDELIVERABLE_TO_RECIPIENT.has(e.code));
    const passes = !recipients && s.errors.length > 0 && s.errors.every((e) => retryableWhatsAppCode(e.code));
    const retryAt = passes ? nextAttemptAt(send.attempts, now) : null;
    if (retryAt) {
      if (!decided) retries.set(s.id, { providerRef: s.id, error, nextAttemptAt: retryAt });
      retrying += 1;
      continue;
    }
    if (!decided) failures.set(s.id, { providerRef: s.id, error });
    // Queued only for a message that ends failed, whichever report decided it.
    if (emailFallback && (recipients || passes)) byEmail.add(s.id);
    failed += 1;
  }
  await runBatch(db, [
    ...retrySentWhatsApp(db, [...retries.values()]),
    ...failSentWhatsApp(db, [...failures.values()]),
    ...emailInsteadOfSent(db, [...byEmail], at),
  ]);
  if (inFlight) return { ok: false, code: "IN_FLIGHT", wamid: inFlight };
  return { ok: true, failed, retrying, ignored };
}
