/** What a request or job can hand work to after it answers: the Worker's ExecutionContext, in practice. */
export type Background = { waitUntil(promise: Promise<unknown>): void };

/**
 * Finishes `work` after the response when there is a context to hold it open, else now: jobs and
 * tests run without one and must not return before the work is done.
 */
export async function finishLater(ctx: Background | undefined, work: Promise<unknown>): Promise<void> {
  if (ctx) ctx.waitUntil(work);
  else await work;
}
