import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./http/context";
import { keepDeadLetters } from "./jobs/dead-letters";
import { consumeOrderEvents } from "./jobs/order-events";
import { runScheduled } from "./jobs/schedule";

// Each environment names its queues (wrangler.toml); a dead-letter queue is its queue's name + "-dlq".
const isDeadLetterQueue = (queue: string) => queue.endsWith("-dlq");

/** The Worker's handlers around an app: both entries differ only in the app's routes. */
export function worker(app: OpenAPIHono<AppEnv>) {
  return {
    fetch: app.fetch,
    scheduled: (controller, env, ctx) => {
      ctx.waitUntil(runScheduled(controller.cron, env, new Date(controller.scheduledTime)));
    },
    queue: (batch, env) =>
      isDeadLetterQueue(batch.queue) ? keepDeadLetters(batch, env) : consumeOrderEvents(batch, env),
  } satisfies ExportedHandler<Env>;
}
