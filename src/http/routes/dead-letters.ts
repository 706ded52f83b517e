import { z } from "@hono/zod-openapi";
import { and, desc, eq, sql } from "drizzle-orm";
import { Id, json, ListQuery, page, problemResponses } from "../../contracts/common";
import { database } from "../../db/client";
import { deadLetters as table } from "../../db/schema";
import { decodeCursor, encodeCursor } from "../../domain/cursor";
import { isoSeconds } from "../../domain/time";
import { router } from "../context";
import { ApiError, validationError } from "../errors";
import { defineRoute } from "../route";

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
  description: "Consumers keep receipts, so replaying an event they already handled changes nothing.",
  request: { params: z.object({ id: Id }) },
  responses: { 200: json(DeadLetter, "The letter, stamped"), ...problemResponses },
});

type Row = typeof table.$inferSelect;

export const deadLetters = router()
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    if (after === null || (after && after.length !== 2)) {
      throw validationError([{ path: "cursor", message: "not a cursor this list gave out" }]);
    }
    const rows: Row[] = await database(c.env)
      .select()
      .from(table)
      .where(after ? sql`(${table.receivedAt}, ${table.id}) < (${after[0]}, ${after[1]})` : undefined)
      .orderBy(desc(table.receivedAt), desc(table.id))
      .limit(q.limit + 1);
    const items = rows.slice(0, q.limit);
    const last = items.at(-1);
    return c.json(
      { items, nextCursor: rows.length > q.limit && last ? encodeCursor([last.receivedAt, last.id]) : null },
      200,
    );
  })
  .openapi(replay, async (c) => {
    const db = database(c.env);
    const letter = await db
      .select()
      .from(table)
      .where(eq(table.id, c.req.valid("param").id))
      .get();
    if (!letter) throw new ApiError("NOT_FOUND", "No such dead letter");
    await c.env.ORDER_EVENTS.send(letter.body, { contentType: "json" });
    const stamped = await db
      .update(table)
      .set({ replayedAt: isoSeconds(new Date()) })
      .where(and(eq(table.id, letter.id)))
      .returning()
      .get();
    return c.json(stamped!, 200);
  });
