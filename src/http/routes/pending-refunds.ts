import { z } from "@hono/zod-openapi";
import { json, jsonBody, ListQuery, page, problemResponses } from "../../contracts/common";
import { PendingRefund } from "../../contracts/orders";
import { database } from "../../db/client";
import { listPendingRefunds } from "../../db/payments";
import { actorOf } from "../../domain/principal";
import { type OwedRefundAction, retryOwedRefundNow, settleOwedRefundOutside } from "../../money/refund-failures";
import { refundOwed } from "../../orders/view";
import { requireRole } from "../auth";
import { router } from "../context";
import { ApiError } from "../errors";
import { defineRoute } from "../route";
import { pageStart } from "../scope";

const list = defineRoute({
  method: "get",
  path: "/admin/refunds/pending",
  access: ["admin", "ops"],
  summary: "Refunds owed by cancelled or returned sub-orders that the provider has not made yet, oldest first",
  description:
    "A cancel or a return that landed while the payment provider failed leaves its refund pending (a sub-order may owe one per return); the `pending-refunds` job retries each under its own idempotency key (the cancel's sub-order key, the return's key), a minute after its first failure, then backing off to at most every six hours.",
  request: { query: ListQuery },
  responses: { 200: json(page(PendingRefund), "A page of pending refunds"), ...problemResponses },
});

const Params = z.object({ refundId: z.string().min(1).max(300).openapi({ description: "The owed refund's `id`" }) });
const SettleBody = z
  .object({
    note: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .openapi({ description: "How the shopper was paid, e.g. a bank transfer's reference" }),
  })
  .strict()
  .openapi("SettleRefundOutside");

const retry = defineRoute({
  method: "post",
  path: "/admin/refunds/pending/{refundId}/retry",
  access: ["admin", "ops"],
  summary: "Try an owed refund again at the next run of the job, awaiting ops or backing off",
  request: { params: Params },
  responses: { 200: json(PendingRefund, "The owed refund, due now"), ...problemResponses },
});

const settle = defineRoute({
  method: "post",
  path: "/admin/refunds/pending/{refundId}/settle",
  access: ["admin", "ops"],
  summary: "Record that a refund the provider failed was paid to the shopper another way",
  description:
    "Only a `retry` (a refund the provider made and then failed: it is in the books, its credit note stands) that awaits ops (409 while the job retries it: the provider could pay it too). The refund is owed no more and the order's history names who settled it; the same note again answers the same settlement.",
  request: { params: Params, ...jsonBody(SettleBody) },
  responses: { 200: json(PendingRefund, "The settled refund"), ...problemResponses },
});

function answered(outcome: OwedRefundAction) {
  if (!outcome.ok) throw new ApiError(outcome.code, outcome.detail);
  return refundOwed(outcome.owed);
}

export const pendingRefunds = router()
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    const found = await listPendingRefunds(database(c.env), { limit: q.limit, after: pageStart(q.cursor) });
    return c.json({ items: found.items.map(refundOwed), nextCursor: found.nextCursor }, 200);
  })
  .openapi(retry, async (c) =>
    c.json(answered(await retryOwedRefundNow(c.env, c.req.valid("param").refundId, new Date())), 200),
  )
  .openapi(settle, async (c) => {
    const who = requireRole(c, "admin", "ops");
    const outcome = await settleOwedRefundOutside(c.env, {
      id: c.req.valid("param").refundId,
      note: c.req.valid("json").note,
      actor: actorOf(who),
      now: new Date(),
    });
    return c.json(answered(outcome), 200);
  });
