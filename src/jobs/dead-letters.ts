import { database } from "../db/client";
import { keepDeadLetter } from "../db/dead-letters";
import { isoSeconds } from "../domain/time";

/** The dead-letter queue's consumer: keeps every message ops may want to read and replay. */
export async function keepDeadLetters(batch: MessageBatch, env: Env): Promise<void> {
  const db = database(env);
  const at = isoSeconds(new Date());
  for (const message of batch.messages) {
    await keepDeadLetter(db, {
      id: `dl_${message.id}`,
      queue: batch.queue,
      messageId: message.id,
      body: message.body,
      attempts: message.attempts,
      receivedAt: at,
      replayedAt: null,
    });
    message.ack();
  }
}
