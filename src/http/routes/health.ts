import { json, problemResponses } from "../../contracts/common";
import { Health } from "../../contracts/health";
import { checkHealth } from "../../health/health";
import { router } from "../context";
import { defineRoute } from "../route";

const check = defineRoute({
  method: "get",
  path: "/health",
  access: "public",
  summary: "Whether this Worker can serve: D1, a stock object and the payment provider",
  description:
    "For load balancers and uptime checks: 200 when every check passes, 503 otherwise, with the same body. " +
    "Anyone gets the status; an ops or admin token adds each check and the event backlog.",
  responses: {
    200: json(Health, "Every check passes"),
    503: json(Health, "A check failed"),
    ...problemResponses,
  },
});

export const health = router().openapi(check, async (c) => {
  const role = c.get("principal")?.role;
  const report = await checkHealth(c.env, new Date(), { detail: role === "ops" || role === "admin" });
  c.header("cache-control", "no-store");
  return c.json(report, report.status === "ok" ? 200 : 503);
});
