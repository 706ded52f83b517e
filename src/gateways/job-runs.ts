import type { JobRunMessage } from "../contracts/events";

/** Hands each due job's run to the job-runs Queue, one message a job, in one send. */
export async function sendJobRuns(env: Env, runs: Omit<JobRunMessage, "type">[]): Promise<void> {
  await env.JOB_RUNS.sendBatch(
    runs.map((run) => ({ body: { type: "job.run", ...run } satisfies JobRunMessage, contentType: "json" as const })),
  );
}
