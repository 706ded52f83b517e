import { z } from "zod";

/** One message on the order-events queue: an outbox row, as written in the state change's batch. */
export const OrderEventMessage = z.object({
  id: z.number().int(),
  type: z.string(),
  orderId: z.string().nullable(),
  at: z.string(),
  payload: z.record(z.string(), z.unknown()),
});
export type OrderEventMessage = z.infer<typeof OrderEventMessage>;

/** The jobs whose due work may run past one invocation's page and continue on the queue. */
export const ContinuedJob = z.enum(["expire-holds", "sla-watcher", "analytics-rollups"]);
export type ContinuedJob = z.infer<typeof ContinuedJob>;

/**
 * A job's next page, on the same queue as the order events: the run at `at` handled its due work up
 * to `after` (the last key of its page, in the scan's order) and the rest continues from there in
 * a consumer invocation of its own, so however much is due no invocation does more than a page.
 */
export const JobContinueMessage = z.object({
  type: z.literal("job.continue"),
  job: ContinuedJob,
  at: z.string(),
  after: z.object({ key: z.string(), id: z.string() }),
});
export type JobContinueMessage = z.infer<typeof JobContinueMessage>;
