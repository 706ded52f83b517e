import { JobRunMessage } from "../contracts/events";
import { findJob, type Job } from "./registry";

/** Runs a due job; a failure is logged, not thrown: the job's next scheduled run goes again. */
export async function runDueJob(job: Job, env: Env, now: Date): Promise<void> {
  try {
    await job.run(env, now);
  } catch (err) {
    console.error(JSON.stringify({ job: job.name, error: String(err) }));
  }
}

/**
 * The job-runs queue's consumer: runs the job a message names at its cron time, then acks it. The
 * queue delivers one message at a time (max_batch_size = 1), so each run has an invocation's 1,000
 * D1 queries and subrequests to itself. Nothing is retried (max_retries = 0): a failed run, like a
 * message that names no job, is logged, and the job's next scheduled run goes again.
 */
export async function consumeJobRuns(batch: MessageBatch, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const parsed = JobRunMessage.safeParse(message.body);
    const job = parsed.success ? findJob(parsed.data.job) : undefined;
    if (parsed.success && job) await runDueJob(job, env, new Date(parsed.data.at));
    else
      console.error(
        JSON.stringify({
          queue: batch.queue,
          dropped: message.id,
          reason: parsed.success ? `no job ${parsed.data.job}` : "unparseable",
        }),
      );
    message.ack();
  }
}
