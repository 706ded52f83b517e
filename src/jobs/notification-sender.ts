import { type Db, database, runBatch } from "../db/client";
import {
  type ClaimedNotification,
  claimNotifications,
  emailInstead,
  markLocalSent,
  type NotificationOutcome,
  settleNotification,
} from "../db/notifications";
import { addSeconds, isoSeconds } from "../domain/time";
import { continueJob } from "../gateways/order-events";
import { emailChannel } from "../notifications/channels/email";
import {
  type Channel,
  type Delivery,
  nextAttemptAt,
  type Outgoing,
  SEND_TIMEOUT_SECONDS,
} from "../notifications/channels/port";
import { whatsappChannel } from "../notifications/channels/whatsapp";
import { rerouteStranded } from "../notifications/outbox";
import { type Config, config } from "../platform/config";

const BUCKET_MS = 60_000;
const SEND_CONCURRENCY = 8;
/**
 * Messages a run claims per remote channel. Each costs a provider fetch and up to two D1 statements
 * (its outcome, and its move to email when WhatsApp refuses it for good): a page of both channels is
 * 80 subrequests and at most about 125 queries, inside the fifth of an invocation's 1,000 each that
 * a run may spend beside the other every-minute jobs (test/http/invocation-budget.test.ts). At the
 * default limit (220 a minute per channel) a claim of the whole minute was some 440 fetches and as
 * many D1 writes in one invocation; past D1's limit the settle write throws and every message sent
 * but not recorded is sent again after the lease. The rest of the minute's limit goes in pages on
 * the queue.
 */
export const SEND_PAGE = 40;

/**
 * How long a claim holds its messages: as long as its sends can take (a page, eight at a
 * time, each up to the send timeout), and a minute more to record them. A claimed message waits its
 * turn behind the others, so a shorter lease let the sender of a later minute claim, and send again,
 * messages a slow provider was still working through. A sender that dies leaves the messages it
 * had not recorded to the first sender after the lease.
 */
function leaseSeconds(claimed: number): number {
  return Math.ceil(claimed / SEND_CONCURRENCY) * SEND_TIMEOUT_SECONDS + 60;
}

type Remote = "whatsapp" | "email";

function remoteChannels(cfg: Config): [Remote, Channel][] {
  const out: [Remote, Channel][] = [];
  if (cfg.whatsapp) out.push(["whatsapp", whatsappChannel(cfg.whatsapp, cfg.platformCountry)]);
  if (cfg.email) out.push(["email", emailChannel(cfg.email)]);
  return out;
}

/**
 * Sends queued notifications, confirmations first, under each provider's per-minute limit. The
 * claim is one statement that counts this minute's hand-overs on that channel and takes only
 * what is left, so two senders running at once never exceed the limit or take the same message.
 * Nothing is dropped: a message that waited past its minute goes out in a later one with its
 * delay visible (createdAt vs sentAt), a temporary refusal is retried later, and a final one is
 * kept as failed with the provider's reason; a message queued on a channel switched off since is
 * first moved where a message queued now would go, up to a minute's limit a run. The local channel
 * only records, so its claim marks the message sent at once. A remote channel sends at most a page a
 * run (`SEND_PAGE`); the rest of the minute's limit continues on the queue (`continueSending`).
 */
export async function sendNotifications(env: Env, now: Date) {
  const db = database(env);
  const cfg = config(env);
  const limit = cfg.notifyRatePerMinute;
  const bucket = bucketOf(now);
  const rerouted = await rerouteStranded(db, cfg, { at: isoSeconds(now), limit });
  const local = await markLocalSent(db, { limit, bucket, at: isoSeconds(now) });
  const remote = await sendPage(env, now);
  return { ...remote, sent: local.length + remote.sent, rerouted, bucket };
}

/**
 * A continued page: the next page of each remote channel, under the same per-minute count. The run
 * stamped `at` with its scheduled time; a page that waited on the queue claims at the clock's time
 * (the provider's minute is the real one), never before `at` (a run with a moved clock, in tests).
 */
export function continueSending(env: Env, at: Date) {
  return sendPage(env, new Date(Math.max(at.getTime(), Date.now())));
}

/**
 * Claims and sends a page of each remote channel. A channel whose claim came back full may have more
 * due with room left this minute: the next page runs in a queue consumer invocation of its own. The
 * claim counts this minute's hand-overs, so the pages of one minute together stay within its limit,
 * and a page past it claims nothing and hands on nothing.
 */
async function sendPage(env: Env, now: Date) {
  const db = database(env);
  const cfg = config(env);
  const limit = cfg.notifyRatePerMinute;
  const page = Math.min(SEND_PAGE, limit);
  const result = { sent: 0, retrying: 0, failed: 0, limit, continued: false };
  const started = Date.now();
  for (const [name, channel] of remoteChannels(cfg)) {
    // Everything from this channel's own claim: a slow channel before it must neither eat into this
    // one's lease nor make it count its hand-overs against a minute already past (the provider's
    // limit is per minute as it is when the claim is made).
    const claimedAt = new Date(now.getTime() + (Date.now() - started));
    const at = isoSeconds(claimedAt);
    const leaseUntil = isoSeconds(addSeconds(claimedAt, leaseSeconds(page)));
    const claimed = await claimNotifications(db, name, { limit, page, bucket: bucketOf(claimedAt), at, leaseUntil });
    // A full page under a limit larger than the page: more may be due with room left this minute.
    if (claimed.length === page && page < limit) result.continued = true;
    const deliveries = await sendAndSettle(db, channel, claimed, {
      lease: leaseUntil,
      now: claimedAt,
      emailFallback: name === "whatsapp" && !!cfg.email,
    });
    for (const d of deliveries) {
      if (d.ok) result.sent += 1;
      else if (d.retry) result.retrying += 1;
      else result.failed += 1;
    }
  }
  // Its pages are claimed by lease, not walked by a cursor.
  if (result.continued)
    await continueJob(env, { job: "notification-sender", at: isoSeconds(now), after: { key: "", id: "" } });
  return result;
}

function outgoing(row: ClaimedNotification): Outgoing {
  const payload = JSON.parse(row.payload) as { params: Record<string, string | number>; text: string };
  return {
    id: row.id,
    orderId: row.orderId,
    threadKey: row.threadKey,
    recipient: row.recipient ?? "",
    template: row.template,
    params: payload.params,
    text: payload.text,
  };
}

function bucketOf(t: Date): string {
  return isoSeconds(Math.floor(t.getTime() / BUCKET_MS) * BUCKET_MS);
}

type SettleWith = { lease: string; now: Date; emailFallback: boolean };

/**
 * Sends the claimed messages, eight at a time, and records outcomes as the sends come back (those
 * that finish together in one batch of at most eight), each sender waiting for its outcome to be
 * written before it takes the next message. WhatsApp takes no idempotency key: every message whose
 * outcome is not written when a sender dies, or its write fails, is sent again after the lease, so
 * that must be only the messages in flight, not the whole claim. A failed write stops further sends
 * (those messages stay claimed and unsent until the lease ends) and is thrown once the sends in
 * flight are back and recorded, if they can be.
 */
async function sendAndSettle(
  db: Db,
  channel: Channel,
  rows: ClaimedNotification[],
  w: SettleWith,
): Promise<Delivery[]> {
  const out = new Array<Delivery>(rows.length);
  let next = 0;
  let pending: number[] = [];
  let writing: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  const record = () => {
    writing = writing.then(async () => {
      if (pending.length === 0) return;
      const group = pending;
      pending = [];
      try {
        await settle(
          db,
          group.map((i) => rows[i]!),
          group.map((i) => out[i]!),
          w,
        );
      } catch (error) {
        // The sends still in flight are recorded if D1 lets them: each one not is sent twice.
        failure ??= { error };
      }
    });
    return writing;
  };
  const worker = async () => {
    while (!failure && next < rows.length) {
      const i = next++;
      out[i] = await channel.send(outgoing(rows[i]!));
      pending.push(i);
      await record();
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, rows.length) }, worker));
  if (failure) throw failure.error;
  return out;
}

/**
 * Records each outcome, but only while this sender still holds the message. `emailFallback`: a
 * message WhatsApp refused for good goes by email where its recipient gave an address.
 */
async function settle(db: Db, rows: ClaimedNotification[], deliveries: Delivery[], w: SettleWith) {
  const at = isoSeconds(w.now);
  const statements = rows.flatMap((row, i) => {
    const d = deliveries[i]!;
    const next = d.ok || !d.retry ? null : nextAttemptAt(row.attempts, w.now);
    const outcome: NotificationOutcome = d.ok
      ? { status: "sent", sentAt: at, providerRef: d.providerRef, error: null }
      : next
        ? { error: d.error, nextAttemptAt: next }
        : { status: "failed", error: d.error };
    const settled = settleNotification(db, row.id, w.lease, outcome);
    return outcome.status === "failed" && w.emailFallback ? [settled, emailInstead(db, row.id, at)] : [settled];
  });
  await runBatch(db, statements);
}
