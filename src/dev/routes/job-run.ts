import { z } from "@hono/zod-openapi";
import { IsoTime, json, problemResponses } from "../../contracts/common";
import { router } from "../../http/context";
import { defineRoute } from "../../http/route";
import { JobRunResult, runJob } from "../../http/routes/admin";

// The same path as production's job run, which this replaces in the development entry: the cron
// driver, the tests and the benchmark call one route, and only here may they move the clock.
const run = defineRoute({
  method: "post",
  path: "/admin/jobs/{name}/run",
  access: ["admin"],
  summary: "Run a scheduled job now, or at a moved clock (development)",
  description: "`now` moves the job's clock; without it the job runs at the current time.",
  request: {
    params: z.object({ name: z.string() }),
    body: {
      required: false,
      content: { "application/json": { schema: z.object({ now: IsoTime.optional() }).strict() } },
    },
  },
  responses: { 200: json(JobRunResult, "What the job did"), ...problemResponses },
});

export const jobRunAt = router().openapi(run, async (c) => {
  const requested = c.req.valid("json")?.now;
  return c.json(await runJob(c.env, c.req.valid("param").name, requested ? new Date(requested) : new Date()), 200);
});
