import { z } from "@hono/zod-openapi";
import { Id, json, ListQuery, page, problemResponses } from "../../contracts/common";
import { database } from "../../db/client";
import { listNotifications } from "../../db/notifications";
import { requireRole } from "../auth";
import { router } from "../context";
import { defineRoute } from "../route";
import { pageStart } from "../scope";

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
  const after = pageStart(q.cursor);
  // A vendor sees only what was sent to it: asking for another vendor's messages finds none.
  if (who.role === "vendor" && q.vendorId && q.vendorId !== who.vendorId) {
    return c.json({ items: [], nextCursor: null }, 200);
  }
  const page = await listNotifications(database(c.env), {
    customerId: who.role === "customer" ? who.customerId : undefined,
    vendorId: who.role === "vendor" ? who.vendorId : q.vendorId,
    orderId: q.orderId,
    status: q.status,
    after,
    limit: q.limit,
  });
  return c.json(
    {
      items: page.items.map((n) => ({
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
      nextCursor: page.nextCursor,
    },
    200,
  );
});
