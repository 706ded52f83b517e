import { z } from "@hono/zod-openapi";
import { cancelOrder } from "../../cancellation/order-cancellation";
import { Id, json, jsonBody, problemResponses } from "../../contracts/common";
import { actorOf, type Principal } from "../../domain/principal";
import { actOnSubOrder } from "../../fulfillment/fulfillment";
import { reassignSubOrder } from "../../reassignment/reassign";
import { setReview } from "../../review/review";
import { requireRole } from "../auth";
import { router } from "../context";
import { type ErrorCode, errorStatus } from "../errors";
import { defineRoute } from "../route";

const MAX_IDS = 500;
const CONCURRENCY = 8;

const Ids = z.array(Id).min(1).max(MAX_IDS);
const OrdersBulk = z
  .object({
    action: z.enum(["approve", "flag", "unflag", "cancel"]),
    ids: Ids,
    note: z.string().trim().min(1).max(500).optional(),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict()
  .refine((b) => b.action !== "flag" || b.note, { path: ["note"], message: "flag needs a note" })
  .refine((b) => b.action !== "cancel" || b.reason, { path: ["reason"], message: "cancel needs a reason" })
  .openapi("OrdersBulk");
const SubOrdersBulk = z
  .object({
    action: z.enum(["confirm", "cancel", "assign"]),
    ids: Ids,
    target: z.object({ vendorId: Id.optional(), warehouseId: Id.optional() }).strict().optional().openapi({
      description:
        "assign only: that vendor, that warehouse, or both; {} lets routing pick the best place other than the current one",
    }),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict()
  .refine((b) => b.action !== "cancel" || b.reason, { path: ["reason"], message: "cancel needs a reason" })
  .refine((b) => b.action !== "assign" || b.target, { path: ["target"], message: "assign needs a target" })
  .refine((b) => b.action === "assign" || !b.target, { path: ["target"], message: "only assign takes a target" })
  .openapi("SubOrdersBulk");

/** The timeline's "why" when ops assign in bulk without saying. */
const BULK_ASSIGN_REASON = "assigned by ops";

const ItemProblem = z.object({ status: z.number().int(), code: z.string(), detail: z.string() }).passthrough();
const Results = z
  .object({ results: z.array(z.object({ id: z.string(), ok: z.boolean(), problem: ItemProblem.optional() })) })
  .openapi("BulkResults");

const ordersRoute = defineRoute({
  method: "post",
  path: "/orders/bulk",
  access: ["admin", "ops"],
  summary: "Approve, flag, unflag or cancel many orders; one failure does not stop the rest",
  request: jsonBody(OrdersBulk),
  responses: { 200: json(Results, "One result per id, in order"), ...problemResponses },
});

const subOrdersRoute = defineRoute({
  method: "post",
  path: "/sub-orders/bulk",
  access: ["admin", "ops"],
  summary: "Confirm, cancel or assign (to a vendor or warehouse) many sub-orders; one failure does not stop the rest",
  description:
    "assign moves each sub-order's lines as `POST /v1/sub-orders/{id}/reassign` does, before packing; a refused move changes nothing for that id.",
  request: jsonBody(SubOrdersBulk),
  responses: { 200: json(Results, "One result per id, in order"), ...problemResponses },
});

type ItemOutcome = { ok: true } | { ok: false; code: ErrorCode; detail: string; allowed?: string[] };

/** Runs `act` over the ids a few at a time and answers each as the single route would have. */
async function each(ids: string[], act: (id: string) => Promise<ItemOutcome>) {
  const results = new Array<z.infer<typeof Results>["results"][number]>(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      const id = ids[i]!;
      const outcome = await act(id);
      results[i] = outcome.ok
        ? { id, ok: true }
        : {
            id,
            ok: false,
            problem: {
              status: errorStatus[outcome.code],
              code: outcome.code,
              detail: outcome.detail,
              ...(outcome.allowed ? { allowed: outcome.allowed } : {}),
            },
          };
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker));
  return { results };
}

export const bulk = router()
  .openapi(ordersRoute, async (c) => {
    const who: Principal = requireRole(c, "admin", "ops");
    const body = c.req.valid("json");
    const actor = actorOf(who);
    return c.json(
      await each(body.ids, async (orderId): Promise<ItemOutcome> => {
        const now = new Date();
        if (body.action === "cancel") {
          return cancelOrder(c.env, c.executionCtx, { orderId, reason: body.reason!, actor, now });
        }
        const hold = body.action === "flag";
        return setReview(c.env, c.executionCtx, { orderId, hold, note: hold ? body.note! : null, actor, now });
      }),
      200,
    );
  })
  .openapi(subOrdersRoute, async (c) => {
    const who = requireRole(c, "admin", "ops");
    const body = c.req.valid("json");
    const actor = actorOf(who);
    return c.json(
      await each(body.ids, (subOrderId) => {
        const now = new Date();
        if (body.action === "assign") {
          return reassignSubOrder(c.env, c.executionCtx, {
            subOrderId,
            target: body.target!,
            reason: body.reason ?? BULK_ASSIGN_REASON,
            actor,
            now,
          });
        }
        return actOnSubOrder(c.env, c.executionCtx, {
          subOrderId,
          who,
          actor,
          now,
          ...(body.action === "cancel"
            ? { action: "cancel" as const, reason: body.reason! }
            : { action: "confirm" as const }),
        });
      }),
      200,
    );
  });
