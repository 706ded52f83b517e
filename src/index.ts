import { app } from "./app";
import { keepDeadLetters } from "./jobs/dead-letters";
import { consumeOrderEvents } from "./jobs/order-events";
import { runScheduled } from "./jobs/schedule";

// Each environment names its queues (wrangler.toml); a dead-letter queue is its queue's name + "-dlq".
const isDeadLetterQueue = (queue: string) => queue.endsWith("-dlq");

export { Feed } from "../durable-objects/feed";
export { SkuStock } from "../durable-objects/sku-stock";

export default {
  fetch: app.fetch,
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(runScheduled(controller.cron, env, new Date(controller.scheduledTime)));
  },
  queue: (batch, env) =>
    isDeadLetterQueue(batch.queue) ? keepDeadLetters(batch, env) : consumeOrderEvents(batch, env),
} satisfies ExportedHandler<Env>;
