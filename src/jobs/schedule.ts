import { jobs } from "./registry";

/** A Cron Trigger runs every job on that schedule; one failing job does not stop the others. */
export async function runScheduled(cron: string, env: Env, now: Date): Promise<void> {
  const due = jobs.filter((j) => j.schedule === cron);
  const results = await Promise.allSettled(due.map((j) => j.run(env, now)));
  results.forEach((r, i) => {
    if (r.status === "rejected") console.error(JSON.stringify({ job: due[i]?.name, error: String(r.reason) }));
  });
}
