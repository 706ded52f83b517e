import { z } from "@hono/zod-openapi";
import { IsoTime, json, problemResponses } from "../../contracts/common";
import { isoSeconds } from "../../domain/time";
import { findJob, jobs } from "../../jobs/registry";
import { router } from "../context";
import { ApiError } from "../errors";
import { defineRoute } from "../route";

const JobInfo = z.object({ name: z.string(), schedule: z.string(), description: z.string() });

export const JobRunResult = z.object({ job: z.string(), now: IsoTime, result: z.unknown() });

const list = defineRoute({
  method: "get",
  path: "/admin/jobs",
  access: ["admin"],
  summary: "List the scheduled jobs",
  responses: { 200: json(z.object({ items: z.array(JobInfo) }), "The jobs"), ...problemResponses },
});

const run = defineRoute({
  method: "post",
  path: "/admin/jobs/{name}/run",
  access: ["admin"],
  summary: "Run a scheduled job now",
  description: "The job runs at the current time; the body, when sent, is `{}`.",
  request: {
    params: z.object({ name: z.string() }),
    body: { required: false, content: { "application/json": { schema: z.object({}).strict() } } },
  },
  responses: { 200: json(JobRunResult, "What the job did"), ...problemResponses },
});

/** Runs the named job with the clock at `now`; the answer both job-run routes give. */
export async function runJob(env: Env, name: string, now: Date): Promise<z.infer<typeof JobRunResult>> {
  const job = findJob(name);
  if (!job) throw new ApiError("NOT_FOUND", "No such job");
  return { job: job.name, now: isoSeconds(now), result: await job.run(env, now) };
}

export const admin = router().openapi(list, (c) =>
  c.json({ items: jobs.map(({ name, schedule, description }) => ({ name, schedule, description })) }, 200),
);

/** Its own sub-app: the development entry mounts a job run that moves the clock in its place. */
export const jobRun = router().openapi(run, async (c) =>
  c.json(await runJob(c.env, c.req.valid("param").name, new Date()), 200),
);
