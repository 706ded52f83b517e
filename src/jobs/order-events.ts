import { sql } from "drizzle-orm";
import { OrderEventMessage } from "../contracts/events";
import { database } from "../db/client";
import { processedMessages } from "../db/schema";
import { isoSeconds } from "../domain/time";
import { publishOrderEvents } from "../gateways/feeds";

export type EventConsumer = {
  name: string;
  handles: (type: string) => boolean;
  handle: (env: Env, event: OrderEventMessage) => Promise<void>;
};

/** Consumers of order events; each must be safe to run again for the same event. */
export const consumers: readonly EventConsumer[] = [
  {
    // One structured line per state change: the audit trail that Workers Logs retains and searches.
    name: "event-log",
    handles: () => true,
    handle: async (_env, event) => {
      console.log(JSON.stringify({ orderEvent: event.type, id: event.id, orderId: event.orderId, at: event.at }));
    },
  },
  {
    // The fallback path of the live feeds: dispatchOutbox publishes first; the feeds drop a repeat
    // by its outbox id, so an event published on both paths appears once.
    name: "live-feeds",
    handles: () => true,
    handle: (env, event) => publishOrderEvents(env, [event]),
  },
];

const MAX_BACKOFF_SECONDS = 300;

/**
 * Each message on its own: parse, run every consumer that has not yet handled it (receipts in
 * D1 make redelivery harmless), ack; on failure retry with exponential backoff. After the
 * queue's max_retries the message goes to the dead-letter queue.
 */
export async function consumeOrderEvents(batch: MessageBatch, env: Env): Promise<void> {
  const db = database(env);
  for (const message of batch.messages) {
    const parsed = OrderEventMessage.safeParse(message.body);
    if (!parsed.success) {
      console.error(JSON.stringify({ queue: batch.queue, dropped: message.id, reason: "unparseable" }));
      message.ack();
      continue;
    }
    const event = parsed.data;
    try {
      for (const consumer of consumers.filter((c) => c.handles(event.type))) {
        const receipt = { consumer: consumer.name, eventId: String(event.id), processedAt: isoSeconds(new Date()) };
        const done = await db
          .select({ one: sql<number>`1` })
          .from(processedMessages)
          .where(
            sql`${processedMessages.consumer} = ${receipt.consumer} and ${processedMessages.eventId} = ${receipt.eventId}`,
          )
          .get();
        if (done) continue;
        await consumer.handle(env, event);
        await db.insert(processedMessages).values(receipt).onConflictDoNothing();
      }
      message.ack();
    } catch (err) {
      console.error(JSON.stringify({ queue: batch.queue, message: message.id, error: String(err) }));
      message.retry({ delaySeconds: Math.min(MAX_BACKOFF_SECONDS, 5 * 2 ** message.attempts) });
    }
  }
}
