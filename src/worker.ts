import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./http/context";
import { keepDeadLetters } from "./jobs/dead-letters";
import { consumeJobRuns } from "./jobs/job-runs";
import { consumeOrderEvents } from "./jobs/order-events";
import { runScheduled } from "./jobs/schedule";

// Each environment names its queues (wrangler.toml); a dead-letter queue is its queue's name + "-dlq",
// and the job-runs queue's name starts with "job-runs".
const isDeadLetterQueue = (queue: string) => queue.endsWith("-dlq");
const isJobRunsQueue = (queue: string) => queue.startsWith("job-runs");

/** The Worker's handlers around an app: both entries differ only in the app's routes. */
export function worker(app: OpenAPIHono<AppEnv>) {
  return {
    fetch: app.fetch,
    scheduled: (controller, env, ctx) => {
      ctx.waitUntil(runScheduled(controller.cron, env, new Date(controller.scheduledTime)));
    },
    queue: (batch, env) => {
      if (isDeadLetterQueue(batch.queue)) return keepDeadLetters(batch, env);
      if (isJobRunsQueue(batch.queue)) return consumeJobRuns(batch, env);
      return consumeOrderEvents(batch, env);
    },
  } satisfies ExportedHandler<Env>;
}
