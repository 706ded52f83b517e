import type { OrderEventMessage } from "../contracts/events";
import { database } from "../db/client";
import { dueOutbox, markOutboxDispatched, type OutboxRow, undispatchedOutbox } from "../db/outbox";
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
  // Queues take at most 100 messages per sendBatch.
  for (let i = 0; i < rows.length; i += 100) {
    await env.ORDER_EVENTS.sendBatch(
      rows.slice(i, i + 100).map((r) => ({ body: toMessage(r), contentType: "json" as const })),
    );
  }
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
 * The live feeds get the rows at the same moment, not through the Queue's batching; that is
 * best-effort and never fails the caller: the Queue consumer publishes them again as the fallback.
 */
export async function dispatchOutbox(env: Env, dedupeKeys: string[], now: Date): Promise<void> {
  const rows = await undispatchedOutbox(database(env), dedupeKeys);
  await dispatchOutboxRows(env, rows, now);
}

// Rows dispatched within this window share one queue send, one D1 update and one publish per
// feed: under a rush that is the difference between a few calls and thousands, for at most a
// few milliseconds of added latency.
const COALESCE_MS = 25;
let gathering: { rows: OutboxRow[]; sent: Promise<void> } | null = null;

/**
 * The same, for a writer that already holds the rows its batch returned (one D1 read fewer).
 * Callers hand the answer to `waitUntil`. Only the caller that opened the window waits for the
 * send, which runs in its request context: a promise settled from another request's context
 * would be dropped with it. A joiner's rows are durable either way (the sweeper has them).
 */
export function dispatchOutboxRows(env: Env, rows: OutboxRow[], now: Date): Promise<void> {
  if (rows.length === 0) return Promise.resolve();
  if (gathering) {
    gathering.rows.push(...rows);
    return Promise.resolve();
  }
  const batch: { rows: OutboxRow[]; sent: Promise<void> } = { rows: [...rows], sent: Promise.resolve() };
  batch.sent = new Promise<void>((resolve) => setTimeout(resolve, COALESCE_MS)).then(() => {
    gathering = null;
    return sendNow(env, batch.rows, now);
  });
  gathering = batch;
  return batch.sent;
}

async function sendNow(env: Env, rows: OutboxRow[], now: Date): Promise<void> {
  const live = publishOrderEvents(env, rows.map(toMessage)).catch((err: unknown) => {
    console.warn(JSON.stringify({ msg: "feed publish failed; the queue consumer retries", error: String(err) }));
  });
  await Promise.all([publish(env, rows, now.toISOString()), live]);
}

/** The sweeper: anything older than the grace period and still unsent goes now. */
export async function sweepOutbox(env: Env, now: Date, graceSeconds = 30, limit = 500): Promise<{ sent: number }> {
  const cutoff = new Date(now.getTime() - graceSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const rows = await dueOutbox(database(env), cutoff, limit);
  return { sent: await publish(env, rows, now.toISOString()) };
}
