import type { JobContinueMessage, OrderEventMessage } from "../contracts/events";
import { database } from "../db/client";
import { claimDueOutbox, claimOutbox, markOutboxDispatched, type OutboxRow } from "../db/outbox";
import { publishOrderEvents } from "./feeds";

export type { OutboxRow } from "../db/outbox";

function toMessage(row: OutboxRow): OrderEventMessage {
  return {
    id: row.id,
    type: row.type,
    orderId: row.orderId,
    at: row.createdAt,
    payload: row.payload as Record<string, unknown>,
  };
}

async function publish(env: Env, rows: OutboxRow[], now: string): Promise<number> {
  if (rows.length === 0) return 0;
  // Queues take at most 100 messages per sendBatch. The batches go at once: a queue promises no order
  // across messages, and every consumer is idempotent.
  const batches: OutboxRow[][] = [];
  for (let i = 0; i < rows.length; i += 100) batches.push(rows.slice(i, i + 100));
  await Promise.all(
    batches.map((batch) =>
      env.ORDER_EVENTS.sendBatch(batch.map((r) => ({ body: toMessage(r), contentType: "json" as const }))),
    ),
  );
  await markOutboxDispatched(
    database(env),
    rows.map((r) => r.id),
    now,
  );
  return rows.length;
}

/**
 * Sends the outbox rows a state change just wrote, straight after its batch committed. If this
 * never runs (the isolate dies), the sweeper sends them; consumers are idempotent either way.
 * Each row is claimed before it is read for sending (`claimOutbox`), so it goes out as it stands.
 * The live feeds get the rows at the same moment, not through the Queue's batching; that is
 * best-effort and never fails the caller: the Queue consumer publishes them again as the fallback.
 */
export function dispatchOutbox(env: Env, dedupeKeys: string[], now: Date): Promise<void> {
  if (dedupeKeys.length === 0) return Promise.resolve();
  return gather(env, now, (w) => w.keys.push(...dedupeKeys));
}

/** The same, for a writer that holds the ids its batch returned. */
export function dispatchOutboxIds(env: Env, ids: number[], now: Date): Promise<void> {
  if (ids.length === 0) return Promise.resolve();
  return gather(env, now, (w) => w.ids.push(...ids));
}

// Rows dispatched within this window share one D1 claim, one queue send per 100, one D1 update
// and one publish per feed: under a rush (or a job's page of changes) that is the
// difference between a few calls and thousands, for at most a few milliseconds of added latency.
const COALESCE_MS = 25;
type Window = { keys: string[]; ids: number[] };
let gathering: Window | null = null;

/**
 * Adds to the open window, or opens one. Callers hand the answer to `waitUntil`. Only the caller
 * that opened the window waits for the send, which runs in its request context: a promise settled
 * from another request's context would be dropped with it. A joiner's rows are durable either way
 * (the sweeper has them).
 */
function gather(env: Env, now: Date, add: (w: Window) => void): Promise<void> {
  if (gathering) {
    add(gathering);
    return Promise.resolve();
  }
  const window: Window = { keys: [], ids: [] };
  add(window);
  gathering = window;
  return new Promise<void>((resolve) => setTimeout(resolve, COALESCE_MS)).then(async () => {
    gathering = null;
    // A claim is stamped by the clock, not by the caller's `now` (a request's start, a provider's
    // event time): its age is what tells a sender at work from one that died.
    await sendNow(env, await claimOutbox(database(env), window.ids, window.keys, new Date()), now);
  });
}

// The feeds the fast path publishes to at most per send, the ops feed included; the Queue
// consumer publishes the rest of a rush a moment later (each delivery is at most 50 events).
const LIVE_FEEDS = 50;

async function sendNow(env: Env, rows: OutboxRow[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  const live = publishOrderEvents(env, rows.map(toMessage), LIVE_FEEDS).catch((err: unknown) => {
    console.warn(JSON.stringify({ msg: "feed publish failed; the queue consumer retries", error: String(err) }));
  });
  await Promise.all([publish(env, rows, now.toISOString()), live]);
}

/** Hands a job's next page to a consumer invocation of its own (see `JobContinueMessage`). */
export async function continueJob(env: Env, next: Omit<JobContinueMessage, "type">): Promise<void> {
  const body: JobContinueMessage = { type: "job.continue", ...next };
  await env.ORDER_EVENTS.send(body, { contentType: "json" });
}

/** The sweeper: anything older than the grace period and still unsent goes now. */
export async function sweepOutbox(env: Env, now: Date, graceSeconds = 30, limit = 500): Promise<{ sent: number }> {
  const cutoff = new Date(now.getTime() - graceSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const rows = await claimDueOutbox(database(env), cutoff, limit, new Date());
  return { sent: await publish(env, rows, now.toISOString()) };
}
