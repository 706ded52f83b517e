import { json, ListQuery, page, problemResponses } from "../../contracts/common";
import { OpsAlert } from "../../contracts/ops-alerts";
import { database } from "../../db/client";
import { listOpsAlerts } from "../../db/ops-alerts";
import { requireRole } from "../auth";
import { router } from "../context";
import { defineRoute } from "../route";
import { pageStart } from "../scope";

const list = defineRoute({
  method: "get",
  path: "/ops-alerts",
  access: ["admin", "ops"],
  summary: "Alerts for the ops team, newest first",
  description:
    "What needs a person: a refund the provider failed or keeps refusing, a payout run halted, a reassignment's stock stuck, a late payment's refund refused. Each names what happened (`template`), says what ops can do (`text`) and carries the ids it names (`params`).",
  request: { query: ListQuery },
  responses: { 200: json(page(OpsAlert), "A page of ops alerts"), ...problemResponses },
});

export const opsAlerts = router().openapi(list, async (c) => {
  requireRole(c, "admin", "ops");
  const q = c.req.valid("query");
  const alerts = await listOpsAlerts(database(c.env), { after: pageStart(q.cursor), limit: q.limit });
  return c.json(alerts, 200);
});
