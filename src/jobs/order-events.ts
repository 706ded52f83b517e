import { OrderEventMessage } from "../contracts/events";
import { database, runBatch } from "../db/client";
import { insertReceipts, type Receipt, receiptsOf } from "../db/receipts";
import { isoSeconds } from "../domain/time";
import { publishOrderEvents } from "../gateways/feeds";
import { enqueueNotifications } from "../notifications/outbox";

export type EventConsumer = {
  name: string;
  handles: (type: string) => boolean;
  /** Handles the events of one delivery that it has not handled before; must be safe to repeat. */
  handle: (env: Env, events: OrderEventMessage[]) => Promise<void>;
};

/** Consumers of order events; each must be safe to run again for the same event. */
export const consumers: readonly EventConsumer[] = [
  {
    // One structured line per state change: the audit trail that Workers Logs retains and searches.
    name: "event-log",
    handles: () => true,
    handle: async (_env, events) => {
      for (const e of events)
        console.log(JSON.stringify({ orderEvent: e.type, id: e.id, orderId: e.orderId, at: e.at }));
    },
  },
  {
    name: "notifications",
    handles: (type) => type.startsWith("order.") || type.startsWith("sub_order."),
    handle: async (env, events) => {
      await enqueueNotifications(env, events);
    },
  },
  {
    // The fallback path of the live feeds: dispatchOutbox publishes first; the feeds drop a repeat
    // by its outbox id, so an event published on both paths appears once.
    name: "live-feeds",
    handles: () => true,
    handle: (env, events) => publishOrderEvents(env, events),
  },
];

const MAX_BACKOFF_SECONDS = 300;

/**
 * A delivery is read once for receipts (so redelivery is harmless), each consumer handles the
 * events it has not yet handled, and each message is then acked or, if a consumer failed on it,
 * retried with exponential backoff. After the queue's max_retries it goes to the dead-letter queue.
 */
export async function consumeOrderEvents(batch: MessageBatch, env: Env): Promise<void> {
  const db = database(env);
  const events = new Map<Message, OrderEventMessage>();
  for (const message of batch.messages) {
    const parsed = OrderEventMessage.safeParse(message.body);
    if (parsed.success) events.set(message, parsed.data);
    else {
      console.error(JSON.stringify({ queue: batch.queue, dropped: message.id, reason: "unparseable" }));
      message.ack();
    }
  }
  if (events.size === 0) return;
  const seen = await receiptsOf(
    db,
    [...events.values()].map((e) => String(e.id)),
  );
  const failed = new Set<number>();
  const receipts: Receipt[] = [];
  for (const consumer of consumers) {
    const todo = [...events.values()].filter((e) => consumer.handles(e.type) && !seen.has(`${consumer.name}:${e.id}`));
    if (todo.length === 0) continue;
    try {
      await consumer.handle(env, todo);
      const at = isoSeconds(new Date());
      receipts.push(...todo.map((e) => ({ consumer: consumer.name, eventId: String(e.id), processedAt: at })));
    } catch (err) {
      console.error(JSON.stringify({ queue: batch.queue, consumer: consumer.name, error: String(err) }));
      for (const e of todo) failed.add(e.id);
    }
  }
  await runBatch(db, insertReceipts(db, receipts));
  for (const [message, event] of events) {
    if (failed.has(event.id)) message.retry({ delaySeconds: Math.min(MAX_BACKOFF_SECONDS, 5 * 2 ** message.attempts) });
    else message.ack();
  }
}
