import { z } from "@hono/zod-openapi";
import { and, desc, eq, sql } from "drizzle-orm";
import { Id, json, ListQuery, page, problemResponses } from "../../contracts/common";
import { database } from "../../db/client";
import { notifications as table } from "../../db/schema";
import { decodeCursor, encodeCursor } from "../../domain/cursor";
import { requireRole } from "../auth";
import { router } from "../context";
import { validationError } from "../errors";
import { defineRoute } from "../route";

const Notification = z
  .object({
    id: z.string(),
    orderId: z.string().nullable(),
    subOrderId: z.string().nullable(),
    vendorId: z.string().nullable().openapi({ description: "Set when the message is to a vendor" }),
    threadKey: z.string(),
    channel: z.string(),
    recipient: z.string().nullable(),
    template: z.string(),
    priority: z.number().int(),
    text: z.string(),
    status: z.enum(["queued", "sent", "failed"]),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
    latencySeconds: z.number().int().nullable().openapi({ description: "How long it waited to be sent" }),
    attempts: z.number().int(),
    nextAttemptAt: z
      .string()
      .nullable()
      .openapi({ description: "After a provider's temporary refusal: when it is tried again" }),
    error: z.string().nullable().openapi({ description: "The provider's latest refusal, as it answered" }),
    providerRef: z.string().nullable().openapi({ description: "The provider's message id" }),
  })
  .openapi("Notification");

const list = defineRoute({
  method: "get",
  path: "/notifications",
  access: ["admin", "ops", "vendor", "customer"],
  summary: "Notifications with their send status and time, newest first",
  description: "A customer sees those about its own orders; a vendor only those sent to it (its dispatch nudges).",
  request: {
    query: ListQuery.extend({
      orderId: Id.optional(),
      vendorId: Id.optional().openapi({ description: "Messages to this vendor" }),
      status: z.enum(["queued", "sent", "failed"]).optional(),
    }),
  },
  responses: { 200: json(page(Notification), "A page of notifications"), ...problemResponses },
});

export const notifications = router().openapi(list, async (c) => {
  const who = requireRole(c, "admin", "ops", "vendor", "customer");
  const q = c.req.valid("query");
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  if (after === null || (after && after.length !== 2)) {
    throw validationError([{ path: "cursor", message: "not a cursor this list gave out" }]);
  }
  const rows = await database(c.env)
    .select()
    .from(table)
    .where(
      and(
        who.role === "customer" ? eq(table.customerId, who.customerId) : undefined,
        who.role === "vendor" ? eq(table.vendorId, who.vendorId) : undefined,
        q.orderId ? eq(table.orderId, q.orderId) : undefined,
        q.vendorId ? eq(table.vendorId, q.vendorId) : undefined,
        q.status ? eq(table.status, q.status) : undefined,
        after ? sql`(${table.createdAt}, ${table.id}) < (${after[0]}, ${after[1]})` : undefined,
      ),
    )
    .orderBy(desc(table.createdAt), desc(table.id))
    .limit(q.limit + 1);
  const items = rows.slice(0, q.limit);
  const last = items.at(-1);
  return c.json(
    {
      items: items.map((n) => ({
        id: n.id,
        orderId: n.orderId,
        subOrderId: n.subOrderId,
        vendorId: n.vendorId,
        threadKey: n.threadKey,
        channel: n.channel,
        recipient: n.recipient,
        template: n.template,
        priority: n.priority,
        text: String((n.payload as { text?: string }).text ?? ""),
        status: n.status,
        createdAt: n.createdAt,
        sentAt: n.sentAt,
        latencySeconds: n.sentAt ? Math.max(0, (Date.parse(n.sentAt) - Date.parse(n.createdAt)) / 1000) : null,
        attempts: n.attempts,
        nextAttemptAt: n.status === "queued" ? n.nextAttemptAt : null,
        error: n.error,
        providerRef: n.providerRef,
      })),
      nextCursor: rows.length > q.limit && last ? encodeCursor([last.createdAt, last.id]) : null,
    },
    200,
  );
});
