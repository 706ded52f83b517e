import { sendJobRuns } from "../gateways/job-runs";
import { runDueJob } from "./job-runs";
import { jobs } from "./registry";

/**
 * A Cron Trigger hands each job on its schedule to the job-runs queue, which runs it in an
 * invocation of its own (`consumeJobRuns`): each job is sized to a fifth of an invocation's 1,000
 * D1 queries and subrequests, and the minute's nine together could spend more than the whole.
 * If the send fails, the jobs run here side by side, so a Queue outage does not stop the minute.
 */
export async function runScheduled(cron: string, env: Env, now: Date): Promise<void> {
  const due = jobs.filter((j) => j.schedule === cron);
  if (due.length === 0) return;
  try {
    await sendJobRuns(
      env,
      due.map((j) => ({ job: j.name, at: now.toISOString() })),
    );
  } catch (err) {
    console.error(JSON.stringify({ msg: "job runs not queued; run in the cron invocation", cron, error: String(err) }));
    await Promise.all(due.map((j) => runDueJob(j, env, now)));
  }
}
