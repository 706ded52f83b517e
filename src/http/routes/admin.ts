import { z } from "@hono/zod-openapi";
import { IsoTime, json, problemResponses } from "../../contracts/common";
import { isoSeconds } from "../../domain/time";
import { findJob, jobs } from "../../jobs/registry";
import { config } from "../../platform/config";
import { router } from "../context";
import { ApiError } from "../errors";
import { defineRoute } from "../route";

const JobInfo = z.object({ name: z.string(), schedule: z.string(), description: z.string() });

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
  description: "`now` moves the job's clock, and is honoured only in local development.",
  request: {
    params: z.object({ name: z.string() }),
    body: {
      required: false,
      content: { "application/json": { schema: z.object({ now: IsoTime.optional() }).strict() } },
    },
  },
  responses: {
    200: json(z.object({ job: z.string(), now: IsoTime, result: z.unknown() }), "What the job did"),
    ...problemResponses,
  },
});

export const admin = router()
  .openapi(list, (c) =>
    c.json({ items: jobs.map(({ name, schedule, description }) => ({ name, schedule, description })) }, 200),
  )
  .openapi(run, async (c) => {
    const job = findJob(c.req.valid("param").name);
    if (!job) throw new ApiError("NOT_FOUND", "No such job");
    const requested = c.req.valid("json")?.now;
    const now = requested && config(c.env).isDev ? new Date(requested) : new Date();
    const result = await job.run(c.env, now);
    return c.json({ job: job.name, now: isoSeconds(now), result }, 200);
  });
