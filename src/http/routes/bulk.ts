import { z } from "@hono/zod-openapi";
import { cancelOrder } from "../../cancellation/order-cancellation";
import { Id, json, jsonBody, MAX_BULK_IDS, problemResponses } from "../../contracts/common";
import { SubOrderCancelReason } from "../../contracts/fulfillment";
import { cancelReasons } from "../../contracts/orders";
import { IdempotencyKeyHeader } from "../../contracts/stock";
import { actorOf, type Principal } from "../../domain/principal";
import { actOnSubOrder } from "../../fulfillment/fulfillment";
import { keepCancellationNote } from "../../orders/cancellation-notes";
import { reassignInTurn } from "../../reassignment/reassign";
import { setReview } from "../../review/review";
import { requireRole } from "../auth";
import { router } from "../context";
import { ApiError, type ErrorCode, errorStatus } from "../errors";
import { defineRoute } from "../route";

/**
 * One request is one Worker invocation: Workers Paid allows it 1,000 D1 queries and 1,000
 * subrequests (each D1 call, stock-object RPC and provider call is one). Per id, for an order of
 * up to 3 sub-orders of up to 3 SKUs, counting every statement of a batch as a query:
 * - approve / flag / unflag: 4 D1 calls (load 6 + vendors 1 + write 3 + one per sub-order + outbox 1): 14 queries;
 * - confirm: 4 D1 calls (lookup 1 + load 6 + transition 4 + outbox 1): 12 queries, 14 with a parent retry;
 * - cancel a sub-order: those, ≤ 3 stock releases, 1 refund and 4 money rows: ≤ 9 calls, 16 queries;
 * - cancel an order: 3-5 D1 calls, ≤ 9 releases, ≤ 3 refunds: ≤ 17 calls, 6 + 4 per sub-order + 6 = 24 queries;
 * - assign: ~15 D1 reads (with the look for an earlier landing of the same key, ≤ 5 of the order's
 *   latest moves) and one write batch, ≤ 9 reallocations and their undo: ≤ 30 calls, ≤ 45 queries.
 * The outbox sends after each write are shared across ids (one queue send, one D1 update and one
 * publish per feed every 25 ms). 20 ids: ≤ 340 calls and 480 queries, assign ≤ 600 calls and 900
 * queries. A bigger order (up to 50 vendors) costs more; an id that runs past a limit fails alone.
 * The cap itself, MAX_BULK_IDS, is in the contracts so the dashboard sends larger selections in groups.
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

/**
 * Runs `act` over the ids a few at a time and answers each as the single route would have. An
 * id whose action throws is that id's failure (logged with the request id, as onError logs a
 * request's): the ids already applied stay applied and reported, and the rest still run.
 */
async function each(ids: string[], requestId: string, act: (id: string) => Promise<ItemOutcome>) {
  const results = new Array<ItemResult>(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
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
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker));
  return { results };
}

export const bulk = router()
  .openapi(ordersRoute, async (c) => {
    const who: Principal = requireRole(c, "admin", "ops");
    const body = c.req.valid("json");
    const actor = actorOf(who);
    return c.json(
      await each(body.ids, c.get("requestId"), async (orderId): Promise<ItemOutcome> => {
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
    return c.json(
      await each(body.ids, c.get("requestId"), (subOrderId) => {
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
