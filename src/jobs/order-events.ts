export async function consumeOrderEvents(batch: MessageBatch, _env: Env): Promise<void> {
  batch.ackAll();
}
