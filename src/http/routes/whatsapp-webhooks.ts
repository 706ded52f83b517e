import { z } from "@hono/zod-openapi";
import { json, problem } from "../../contracts/common";
import {
  applyWhatsAppStatuses,
  subscriptionChallenge,
  verifiedWhatsAppDelivery,
  type WhatsAppStatus,
} from "../../notifications/delivery-status";
import { router } from "../context";
import { ApiError, validationError, zodFieldErrors } from "../errors";
import { defineRoute } from "../route";

// Meta's wire format (Cloud API webhooks, field `messages`). Only what is acted on is required: a
// delivery also carries metadata, contacts, pricing and inbound messages, which pass unread, and a
// status this version does not know is acknowledged rather than refused (Meta retries refusals).
const StatusError = z.object({
  code: z.number().int(),
  title: z.string().max(1000).optional(),
  message: z.string().max(1000).optional(),
  error_data: z.object({ details: z.string().max(1000).optional() }).optional(),
});

const Status = z
  .object({
    id: z.string().min(1).max(512),
    status: z.string().min(1).max(40),
    timestamp: z.string().max(20).optional(),
    recipient_id: z.string().max(64).optional(),
    biz_opaque_callback_data: z.string().max(512).optional(),
    errors: z.array(StatusError).max(20).optional(),
  })
  .openapi("WhatsAppMessageStatus");

const MessagesValue = z.object({ statuses: z.array(Status).max(1000).optional() });

const Delivery = z
  .object({
    object: z.literal("whatsapp_business_account"),
    entry: z
      .array(
        z.object({
          id: z.string().max(64).optional(),
          changes: z.array(z.object({ field: z.string().max(100), value: z.record(z.string(), z.unknown()) })).max(100),
        }),
      )
      .max(100),
  })
  .openapi("WhatsAppWebhookDelivery");

const handshake = defineRoute({
  method: "get",
  path: "/webhooks/whatsapp",
  access: "public",
  summary: "Answer WhatsApp's webhook subscription check",
  description:
    "Meta's verification request when the callback URL is set in its dashboard: with `hub.mode=subscribe` and " +
    "`hub.verify_token` equal to WHATSAPP_VERIFY_TOKEN, the answer is `hub.challenge` as plain text.",
  request: {
    query: z.object({
      "hub.mode": z.string().max(40).optional(),
      "hub.verify_token": z.string().max(512).optional(),
      "hub.challenge": z.string().max(512).optional(),
    }),
  },
  responses: {
    200: { description: "The challenge, echoed", content: { "text/plain": { schema: z.string() } } },
    403: problem("Not a subscription request, or not our verify token"),
    404: problem("The WhatsApp webhook is not configured"),
    422: problem("Validation failed"),
  },
});

const statuses = defineRoute({
  method: "post",
  path: "/webhooks/whatsapp",
  access: "public",
  summary: "Receive WhatsApp's message statuses",
  description:
    "Authenticated by `X-Hub-Signature-256: sha256=<hex>`, Meta's HMAC-SHA256 of the raw body with the app secret " +
    "(WHATSAPP_APP_SECRET); a bad signature is 400 and changes nothing. A `failed` status with a reason that " +
    "passes or that an operator clears (a throttle, a locked or unpaid account, a template not yet approved) " +
    "queues the message sent under that wamid again, as a refusal at send time is, until its attempts are spent; " +
    "otherwise the message is marked failed with Meta's reason and, when the recipient cannot get WhatsApp " +
    "messages (131026 and the like) or the retries are spent, queued by email once. Other statuses, other " +
    "fields and unknown wamids are " +
    "acknowledged and change nothing. A failure reported while its send is still being recorded is 409: Meta " +
    "delivers it again.",
  // The body (WhatsAppWebhookDelivery) is parsed by hand, after the signature over its exact bytes.
  responses: {
    200: json(z.object({ received: z.literal(true) }), "Verified and applied (or deliberately ignored)"),
    400: problem("Missing or bad signature; nothing changed"),
    404: problem("The WhatsApp webhook is not configured"),
    409: problem("The message's send is still being recorded; deliver again later"),
    422: problem("Not a WhatsApp Business Account webhook body"),
  },
});

export const whatsappWebhooks = router()
  .openapi(handshake, async (c) => {
    const q = c.req.valid("query");
    const answer = subscriptionChallenge(c.env, {
      mode: q["hub.mode"],
      token: q["hub.verify_token"],
      challenge: q["hub.challenge"],
    });
    if (!answer.ok && answer.code === "NOT_CONFIGURED") {
      throw new ApiError("NOT_FOUND", "The WhatsApp webhook is not configured on this deployment");
    }
    if (!answer.ok) throw new ApiError("FORBIDDEN", "Not a subscription request with this deployment's verify token");
    return c.text(answer.challenge, 200);
  })
  .openapi(statuses, async (c) => {
    // The signature covers the exact bytes: verify them before decoding or parsing anything.
    const raw = await c.req.arrayBuffer();
    const verified = await verifiedWhatsAppDelivery(c.env, raw, c.req.header("x-hub-signature-256"));
    if (!verified.ok && verified.code === "NOT_CONFIGURED") {
      throw new ApiError("NOT_FOUND", "The WhatsApp webhook is not configured on this deployment");
    }
    if (!verified.ok) throw new ApiError("BAD_SIGNATURE", "The X-Hub-Signature-256 header does not verify this body");
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(raw));
    } catch {
      throw validationError([{ path: "(body)", message: "Malformed JSON" }], "Malformed JSON");
    }
    const parsed = Delivery.safeParse(body);
    if (!parsed.success) throw validationError(zodFieldErrors(parsed.error));
    const found: WhatsAppStatus[] = [];
    for (const [e, entry] of parsed.data.entry.entries()) {
      for (const [i, change] of entry.changes.entries()) {
        if (change.field !== "messages") continue;
        const value = MessagesValue.safeParse(change.value);
        if (!value.success) {
          throw validationError(
            zodFieldErrors(value.error).map((f) => ({ ...f, path: `entry.${e}.changes.${i}.value.${f.path}` })),
          );
        }
        for (const s of value.data.statuses ?? []) {
          found.push({
            id: s.id,
            status: s.status,
            thread: s.biz_opaque_callback_data,
            errors: (s.errors ?? []).map((x) => ({
              code: x.code,
              title: x.title ?? x.message,
              details: x.error_data?.details,
            })),
          });
        }
      }
    }
    const applied = await applyWhatsAppStatuses(c.env, found, new Date());
    if (!applied.ok) {
      throw new ApiError(
        "CONFLICT",
        `The message sent as ${applied.wamid} is still being recorded; deliver again later`,
      );
    }
    return c.json({ received: true as const }, 200);
  });
