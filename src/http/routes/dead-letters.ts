import { z } from "@hono/zod-openapi";
import { Id, json, ListQuery, page, problemResponses } from "../../contracts/common";
import { database } from "../../db/client";
import { findDeadLetter, listDeadLetters, stampReplayed } from "../../db/dead-letters";
import { isoSeconds } from "../../domain/time";
import { router } from "../context";
import { ApiError } from "../errors";
import { defineRoute } from "../route";
import { pageStart } from "../scope";

const DeadLetter = z
  .object({
    id: z.string(),
    queue: z.string(),
    messageId: z.string(),
    body: z.unknown(),
    attempts: z.number().int(),
    receivedAt: z.string(),
    replayedAt: z.string().nullable(),
  })
  .openapi("DeadLetter");

const list = defineRoute({
  method: "get",
  path: "/admin/dead-letters",
  access: ["admin", "ops"],
  summary: "Order events the queue gave up on, newest first",
  request: { query: ListQuery },
  responses: { 200: json(page(DeadLetter), "A page of dead letters"), ...problemResponses },
});

const replay = defineRoute({
  method: "post",
  path: "/admin/dead-letters/{id}/replay",
  access: ["admin", "ops"],
  summary: "Send a dead letter back to the order-events queue",
  description:
    "Every consumer makes a repeat harmless by its own key (notifications by event, template and recipient; live feeds by outbox id), so replaying an event already handled queues and shows nothing new; its log line is written again.",
  request: { params: z.object({ id: Id }) },
  responses: { 200: json(DeadLetter, "The letter, stamped"), ...problemResponses },
});

export const deadLetters = router()
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    return c.json(await listDeadLetters(database(c.env), { limit: q.limit, after: pageStart(q.cursor) }), 200);
  })
  .openapi(replay, async (c) => {
    const db = database(c.env);
    const letter = await findDeadLetter(db, c.req.valid("param").id);
    if (!letter) throw new ApiError("NOT_FOUND", "No such dead letter");
    await c.env.ORDER_EVENTS.send(letter.body, { contentType: "json" });
    const stamped = await stampReplayed(db, letter.id, isoSeconds(new Date()));
    return c.json(stamped!, 200);
  });
