import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./http/context";
import { keepDeadLetters } from "./jobs/dead-letters";
import { consumeOrderEvents } from "./jobs/order-events";
import { runScheduled } from "./jobs/schedule";

const DEAD_LETTER_QUEUE = "order-events-dlq";

/** The Worker's handlers around an app: both entries differ only in the app's routes. */
export function worker(app: OpenAPIHono<AppEnv>) {
  return {
    fetch: app.fetch,
    scheduled: (controller, env, ctx) => {
      ctx.waitUntil(runScheduled(controller.cron, env, new Date(controller.scheduledTime)));
    },
    queue: (batch, env) =>
      batch.queue === DEAD_LETTER_QUEUE ? keepDeadLetters(batch, env) : consumeOrderEvents(batch, env),
  } satisfies ExportedHandler<Env>;
}
