import { json, ListQuery, page, problemResponses } from "../../contracts/common";
import { PendingRefund } from "../../contracts/orders";
import { database } from "../../db/client";
import { listPendingRefunds } from "../../db/payments";
import { refundOwed } from "../../orders/view";
import { router } from "../context";
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

export const pendingRefunds = router().openapi(list, async (c) => {
  const q = c.req.valid("query");
  const found = await listPendingRefunds(database(c.env), { limit: q.limit, after: pageStart(q.cursor) });
  return c.json({ items: found.items.map(refundOwed), nextCursor: found.nextCursor }, 200);
});
