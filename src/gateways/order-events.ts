import { and, asc, eq, inArray, isNull, lte } from "drizzle-orm";
import type { OrderEventMessage } from "../contracts/events";
import { database, runBatch, type Statement } from "../db/client";
import { outbox } from "../db/schema";
import { publishOrderEvents } from "./feeds";

export type OutboxRow = typeof outbox.$inferSelect;

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
  // D1 binds at most 100 parameters per statement.
  const db = database(env);
  const ids = rows.map((r) => r.id);
  const updates: Statement[] = [];
  for (let i = 0; i < ids.length; i += 90) {
    updates.push(
      db
        .update(outbox)
        .set({ dispatchedAt: now })
        .where(inArray(outbox.id, ids.slice(i, i + 90))),
    );
  }
  await runBatch(db, updates);
  return rows.length;
}

/**
 * Sends the outbox rows a state change just wrote, straight after its batch committed. If this
 * never runs (the isolate dies), the sweeper sends them; consumers are idempotent either way.
 * The live feeds get the rows at the same moment, not through the Queue's batching; that is
 * best-effort and never fails the caller: the Queue consumer publishes them again as the fallback.
 */
export async function dispatchOutbox(env: Env, dedupeKeys: string[], now: Date): Promise<void> {
  const db = database(env);
  const rows: OutboxRow[] = [];
  // D1 binds at most 100 parameters per statement.
  for (let i = 0; i < dedupeKeys.length; i += 90) {
    rows.push(
      ...(await db
        .select()
        .from(outbox)
        .where(and(inArray(outbox.dedupeKey, dedupeKeys.slice(i, i + 90)), isNull(outbox.dispatchedAt)))),
    );
  }
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
  const rows = await database(env)
    .select()
    .from(outbox)
    .where(and(isNull(outbox.dispatchedAt), lte(outbox.createdAt, cutoff)))
    .orderBy(asc(outbox.id))
    .limit(limit);
  return { sent: await publish(env, rows, now.toISOString()) };
}

export async function outboxRow(env: Env, dedupeKey: string) {
  return database(env).select().from(outbox).where(eq(outbox.dedupeKey, dedupeKey)).get();
}
