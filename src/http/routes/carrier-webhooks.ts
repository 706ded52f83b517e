import { z } from "@hono/zod-openapi";
import { json, problemResponses } from "../../contracts/common";
import { database } from "../../db/client";
import { findTrackedShipment } from "../../db/sub-orders";
import { verifyHmacSha256 } from "../../domain/hmac";
import { type Actor, systemActor } from "../../domain/principal";
import { actOnSubOrder, type FulfillmentOutcome, recordMilestone } from "../../fulfillment/fulfillment";
import { closeUndelivered } from "../../fulfillment/undelivered";
import type { Background } from "../../platform/background";
import { config } from "../../platform/config";
import { router } from "../context";
import { ApiError, validationError, zodFieldErrors } from "../errors";
import { defineRoute } from "../route";

/** How far ahead of this Worker's clock a carrier's clock may run. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** When a carrier should send again an event for a parcel whose dispatch has not finished. */
const NOT_DISPATCHED_RETRY_SECONDS = 600;

const TrackingEvent = z
  .object({
    awb: z.string().min(1).max(40),
    // returned_to_origin: the parcel is back at its seller; lost: the carrier has given it up.
    event: z.enum(["out_for_delivery", "delivery_attempted", "delivered", "returned_to_origin", "lost"]),
    // Carriers send their local time with its offset (`+05:30`) as often as UTC: both name an instant.
    at: z.iso.datetime({ offset: true }),
    note: z.string().max(500).optional(),
  })
  .openapi("CarrierTrackingEvent");

const route = defineRoute({
  method: "post",
  path: "/webhooks/carriers/{carrier}",
  access: "public",
  summary: "Receive a carrier's tracking event",
  description:
    "Authenticated by `X-Signature: sha256=<hex>`, an HMAC-SHA256 of the raw body with that carrier's secret (CARRIER_WEBHOOK_SECRETS); a bad signature is 400 and changes nothing. An unknown AWB is acknowledged and ignored, as is a return or loss dated more than 5 minutes before its AWB's live parcel left when no earlier parcel was closed with that AWB. An event for a parcel whose dispatch claimed the AWB but has not finished is 503 SHIPMENT_NOT_DISPATCHED with Retry-After, so the carrier sends it again.",
  // The body (CarrierTrackingEvent) is parsed by hand, after the signature over its exact bytes.
  request: { params: z.object({ carrier: z.string().min(1).max(32) }) },
  responses: { 200: json(z.object({ received: z.literal(true) }), "Taken"), ...problemResponses },
});

export const carrierWebhooks = router().openapi(route, async (c) => {
  const { carrier } = c.req.valid("param");
  const secret = config(c.env).carrierWebhookSecrets.get(carrier);
  if (!secret) throw new ApiError("NOT_FOUND", "No webhook is configured for this carrier");
  // The signature covers the exact bytes: verify before parsing anything.
  const raw = await c.req.text();
  if (!(await verifyHmacSha256(secret, raw, c.req.header("x-signature")))) throw new ApiError("BAD_SIGNATURE");
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw validationError([{ path: "(body)", message: "Malformed JSON" }], "Malformed JSON");
  }
  const parsed = TrackingEvent.safeParse(body);
  if (!parsed.success) throw validationError(zodFieldErrors(parsed.error));
  const event = parsed.data;
  // A signed event is still the carrier's word: a delivery dated in the future would skew every
  // delivery time and SLA figure built on it, so it is refused and changes nothing.
  if (Date.parse(event.at) > Date.now() + CLOCK_SKEW_MS) {
    throw validationError([{ path: "at", message: "is in the future" }]);
  }
  const closes = event.event === "returned_to_origin" || event.event === "lost";
  const shipment = await findTrackedShipment(database(c.env), carrier, event.awb, new Date(event.at), closes);
  if (!shipment) {
    // Also a return or loss dated well before the AWB's live parcel left, with no closed parcel to be about.
    console.warn(JSON.stringify({ webhook: "carrier", carrier, awb: event.awb, ignored: "unknown AWB" }));
    return c.json({ received: true as const }, 200);
  }
  // Its dispatch claimed the AWB but has not finished (one stopped part-way, answered 500, the
  // parcel already with the carrier): taken now, the event would be refused by the sub-order and
  // lost for good. A 5xx makes the carrier send it again, after the vendor's dispatch again lands.
  if (shipment.dispatchedAt === null) {
    throw new ApiError(
      "SHIPMENT_NOT_DISPATCHED",
      undefined,
      {},
      { "Retry-After": String(NOT_DISPATCHED_RETRY_SECONDS) },
    );
  }
  const actor = systemActor(`carrier:${carrier}`);
  // Nothing is delivered before it was dispatched: an earlier time counts as the dispatch's.
  const at = new Date(Math.max(Date.parse(event.at), Date.parse(shipment.dispatchedAt ?? event.at)));
  const outcome = await act(c.env, c.executionCtx, shipment.id, event, actor, at);
  if (!outcome.ok) console.warn(JSON.stringify({ webhook: "carrier", carrier, awb: event.awb, ignored: outcome.code }));
  return c.json({ received: true as const }, 200);
});

/** What a tracking event does to its sub-order: a move, or a milestone on its timeline. */
function act(
  env: Env,
  ctx: Background,
  subOrderId: string,
  event: z.infer<typeof TrackingEvent>,
  actor: Actor,
  at: Date,
): Promise<FulfillmentOutcome> {
  const common = { subOrderId, who: "system" as const, actor };
  switch (event.event) {
    case "delivered":
      return actOnSubOrder(env, ctx, { ...common, now: at, action: "deliver" });
    case "returned_to_origin":
    case "lost":
      // The refund and its credit note are dated when they are made, not when the carrier scanned
      // the parcel: a late event must not date a note into a closed financial year.
      return closeUndelivered(env, ctx, {
        ...common,
        outcome: event.event === "lost" ? "lost_in_transit" : "returned_to_origin",
        note: event.note ?? null,
        now: new Date(),
      });
    default:
      return recordMilestone(env, ctx, { ...common, type: event.event, note: event.note ?? null, at });
  }
}
