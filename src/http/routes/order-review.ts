import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { Id, json, jsonBody, problemResponses } from "../../contracts/common";
import { OrderView } from "../../contracts/orders";
import { database } from "../../db/client";
import { loadOrder } from "../../db/orders";
import { actorOf } from "../../domain/principal";
import { orderViewFor } from "../../orders/view";
import { setReview } from "../../review/review";
import { requireRole } from "../auth";
import { type AppEnv, router } from "../context";
import { ApiError } from "../errors";
import { defineRoute } from "../route";

const Params = z.object({ orderId: Id });
const FlagBody = z
  .object({ note: z.string().trim().min(1).max(500) })
  .strict()
  .openapi("FlagOrder");

const flag = defineRoute({
  method: "post",
  path: "/orders/{orderId}/flag",
  access: ["admin", "ops"],
  summary: "Hold an order for review: its vendors stop seeing it",
  request: { params: Params, ...jsonBody(FlagBody) },
  responses: { 200: json(OrderView, "The order"), ...problemResponses },
});

function release(name: "approve" | "unflag", summary: string) {
  return defineRoute({
    method: "post",
    path: `/orders/{orderId}/${name}`,
    access: ["admin", "ops"],
    summary,
    description:
      "Every paid sub-order not yet dispatched gets its dispatch deadline from now, by its vendor's SLA hours; its vendor's feed hears of the order as new.",
    request: { params: Params },
    responses: { 200: json(OrderView, "The order"), ...problemResponses },
  });
}

async function review(c: Context<AppEnv>, orderId: string, hold: boolean, note: string | null) {
  const who = requireRole(c, "admin", "ops");
  const outcome = await setReview(c.env, c.executionCtx, { orderId, hold, note, actor: actorOf(who), now: new Date() });
  if (!outcome.ok) throw new ApiError("NOT_FOUND", outcome.detail);
  const agg = await loadOrder(database(c.env), orderId, { names: true });
  return orderViewFor(agg!, who)!;
}

export const orderReview = router()
  .openapi(flag, async (c) =>
    c.json(await review(c, c.req.valid("param").orderId, true, c.req.valid("json").note), 200),
  )
  .openapi(release("approve", "Release an order held for review to its vendors"), async (c) =>
    c.json(await review(c, c.req.valid("param").orderId, false, null), 200),
  )
  .openapi(release("unflag", "Clear a review flag (the same as approving)"), async (c) =>
    c.json(await review(c, c.req.valid("param").orderId, false, null), 200),
  );
