import { database } from "../db/client";
import { deadLetters } from "../db/schema";
import { isoSeconds } from "../domain/time";

/** The dead-letter queue's consumer: keeps every message ops may want to read and replay. */
export async function keepDeadLetters(batch: MessageBatch, env: Env): Promise<void> {
  const db = database(env);
  const at = isoSeconds(new Date());
  for (const message of batch.messages) {
    await db
      .insert(deadLetters)
      .values({
        id: `dl_${message.id}`,
        queue: batch.queue,
        messageId: message.id,
        body: message.body,
        attempts: message.attempts,
        receivedAt: at,
      })
      .onConflictDoNothing();
    message.ack();
  }
}
