import { z } from "@hono/zod-openapi";
import { cancelOrder } from "../../cancellation/order-cancellation";
import { BULK_NOT_STARTED, Id, json, jsonBody, MAX_BULK_IDS, problemResponses } from "../../contracts/common";
import { SubOrderCancelReason } from "../../contracts/fulfillment";
import { cancelReasons } from "../../contracts/orders";
import { IdempotencyKeyHeader } from "../../contracts/stock";
import { sizesOfOrders, sizesOfSubOrders } from "../../db/bulk-sizes";
import { database } from "../../db/client";
import { actorOf, type Principal } from "../../domain/principal";
import { actOnSubOrder } from "../../fulfillment/fulfillment";
import { keepCancellationNote } from "../../orders/cancellation-notes";
import { reassignInTurn } from "../../reassignment/reassign";
import { setReview } from "../../review/review";
import { requireRole } from "../auth";
import { admitted, type BulkAction } from "../bulk-budget";
import { router } from "../context";
import { ApiError, type ErrorCode, errorStatus } from "../errors";
import { defineRoute } from "../route";

/**
 * Ids run a few at a time. How many one request starts is the budget's (bulk-budget.ts): the cap,
 * MAX_BULK_IDS, is in the contracts so the dashboard sends larger selections in groups, and sends
 * again the ids a request did not start.
 */
const CONCURRENCY = 8;

const Ids = z
  .array(Id)
  .min(1)
  .max(MAX_BULK_IDS)
  .openapi({ description: `1 to ${MAX_BULK_IDS} ids, each answered on its own` });
const OrdersBulk = z
  .object({
    action: z.enum(["approve", "flag", "unflag", "cancel"]),
    ids: Ids,
    note: z.string().trim().min(1).max(500).optional().openapi({
      description: "flag: the review note; cancel: free text kept for ops and admins only, as on a single cancel",
    }),
    // A code, never free text: it reaches the shopper, the vendors and their messages.
    reason: z.enum(cancelReasons).optional(),
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
    reason: SubOrderCancelReason.optional(),
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
  summary:
    "Confirm, cancel or assign (to a vendor or warehouse) many sub-orders; one failure does not stop the rest (Idempotency-Key required)",
  description:
    "assign moves each sub-order's lines as `POST /v1/sub-orders/{id}/reassign` does, before packing, the sub-orders of one order one after another; a refused move changes nothing for that id. Requires Idempotency-Key (400 IDEMPOTENCY_KEY_REQUIRED without one): the same key and body again answers the first results and acts on nothing twice.",
  request: { headers: IdempotencyKeyHeader, ...jsonBody(SubOrdersBulk) },
  responses: { 200: json(Results, "One result per id, in order"), ...problemResponses },
});

type ItemOutcome = { ok: true } | { ok: false; code: ErrorCode; detail: string; allowed?: string[] };
type ItemResult = z.infer<typeof Results>["results"][number];

function answer(id: string, outcome: ItemOutcome): ItemResult {
  if (outcome.ok) return { id, ok: true };
  return {
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

const notStarted: ItemOutcome = {
  ok: false,
  code: BULK_NOT_STARTED,
  detail: "Not started: this request's share of the Worker's limits is spent on the ids before it; send this id again",
};

/**
 * Runs `act` over the ids the budget admits, a few at a time, and answers each as the single route
 * would have; the others are answered not started, with nothing done for them. An id whose action
 * throws is that id's failure (logged with the request id, as onError logs a request's): the ids
 * already applied stay applied and reported, and the rest still run.
 */
async function each(ids: string[], admit: boolean[], requestId: string, act: (id: string) => Promise<ItemOutcome>) {
  const results = ids.map((id, i) => (admit[i] ? undefined : answer(id, notStarted)));
  const run = ids.flatMap((_, i) => (admit[i] ? [i] : []));
  let next = 0;
  const worker = async () => {
    while (next < run.length) {
      const i = run[next++]!;
      const id = ids[i]!;
      try {
        results[i] = answer(id, await act(id));
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        console.error(JSON.stringify({ requestId, id, error: e.message, stack: e.stack }));
        results[i] = {
          id,
          ok: false,
          problem: {
            status: errorStatus.INTERNAL,
            code: "INTERNAL",
            detail: "This id could not be processed; quote the requestId when reporting it",
            requestId,
          },
        };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, run.length) }, worker));
  return { results: results as ItemResult[] };
}

export const bulk = router()
  .openapi(ordersRoute, async (c) => {
    const who: Principal = requireRole(c, "admin", "ops");
    const body = c.req.valid("json");
    const actor = actorOf(who);
    const action: BulkAction = body.action === "cancel" ? "cancelOrder" : "review";
    const admit = admitted(action, body.ids, await sizesOfOrders(database(c.env), body.ids));
    return c.json(
      await each(body.ids, admit, c.get("requestId"), async (orderId): Promise<ItemOutcome> => {
        const now = new Date();
        if (body.action === "cancel") {
          const reason = body.reason!;
          const outcome = await cancelOrder(c.env, c.executionCtx, { orderId, reason, actor, now });
          if (outcome.ok && body.note)
            await keepCancellationNote(c.env, orderId, { actor, reason, note: body.note, now });
          return outcome;
        }
        const hold = body.action === "flag";
        return setReview(c.env, c.executionCtx, { orderId, hold, note: hold ? body.note! : null, actor, now });
      }),
      200,
    );
  })
  .openapi(subOrdersRoute, async (c) => {
    const who = requireRole(c, "admin", "ops");
    const key = c.req.valid("header")["idempotency-key"];
    if (!key) {
      throw new ApiError("IDEMPOTENCY_KEY_REQUIRED", "Send an Idempotency-Key header so a retry cannot act twice");
    }
    const body = c.req.valid("json");
    const actor = actorOf(who);
    const assign = reassignInTurn(c.env, c.executionCtx);
    const action: BulkAction = body.action === "cancel" ? "cancelSubOrder" : body.action;
    const admit = admitted(action, body.ids, await sizesOfSubOrders(database(c.env), body.ids));
    return c.json(
      await each(body.ids, admit, c.get("requestId"), (subOrderId) => {
        const now = new Date();
        if (body.action === "assign") {
          return assign({
            subOrderId,
            target: body.target!,
            reason: body.reason ?? BULK_ASSIGN_REASON,
            key,
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
