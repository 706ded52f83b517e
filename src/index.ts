import { app } from "./app";
import { consumeOrderEvents } from "./jobs/order-events";
import { runScheduled } from "./jobs/schedule";

export { Feed } from "../durable-objects/feed";
export { SkuStock } from "../durable-objects/sku-stock";

export default {
  fetch: app.fetch,
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(runScheduled(controller.cron, env, new Date(controller.scheduledTime)));
  },
  queue: (batch, env) => consumeOrderEvents(batch, env),
} satisfies ExportedHandler<Env>;
