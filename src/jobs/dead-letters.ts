import { database } from "../db/client";
import { keepDeadLetter } from "../db/dead-letters";
import { isoSeconds } from "../domain/time";

/**
 * How long a dead letter that could not be kept waits before it is tried again: doubling from a
 * minute up to an hour. With the consumer's 100 retries that outlasts a D1 outage of days; the
 * outage that sent the message here is often the one that keeps it from being stored.
 */
const retryDelaySeconds = (attempts: number) => Math.min(3600, 60 * 2 ** Math.max(0, attempts - 1));

/**
 * The dead-letter queue's consumer: keeps every message ops may want to read and replay. One that
 * cannot be kept now is retried later, and the rest of the batch is kept meanwhile: a dead letter
 * retried until the queue gives up on it is gone for good.
 */
export async function keepDeadLetters(batch: MessageBatch, env: Env): Promise<void> {
  const db = database(env);
  const at = isoSeconds(new Date());
  for (const message of batch.messages) {
    try {
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
    } catch (err) {
      console.error(
        JSON.stringify({ msg: "dead letter not kept; retried", messageId: message.id, error: String(err) }),
      );
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}
