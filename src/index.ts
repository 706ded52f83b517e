import { app } from "./app";
import { keepDeadLetters } from "./jobs/dead-letters";
import { consumeOrderEvents } from "./jobs/order-events";
import { runScheduled } from "./jobs/schedule";

const DEAD_LETTER_QUEUE = "order-events-dlq";

export { Feed } from "../durable-objects/feed";
export { SkuStock } from "../durable-objects/sku-stock";

export default {
  fetch: app.fetch,
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(runScheduled(controller.cron, env, new Date(controller.scheduledTime)));
  },
  queue: (batch, env) =>
    batch.queue === DEAD_LETTER_QUEUE ? keepDeadLetters(batch, env) : consumeOrderEvents(batch, env),
} satisfies ExportedHandler<Env>;
