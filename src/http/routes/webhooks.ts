import { z } from "@hono/zod-openapi";
import { json, problem } from "../../contracts/common";
import { systemActor } from "../../domain/principal";
import { applyRefundFailure } from "../../money/refund-failures";
import { applyPaymentOutcome } from "../../payment-outcome/payment-outcome";
import { verifiedStripeEvent } from "../../payment-outcome/stripe-event";
import { applyPayoutEvent, verifiedPayoutEvent } from "../../payout-accounts/payout-events";
import { router } from "../context";
import { ApiError } from "../errors";
import { defineRoute } from "../route";

const stripeEvent = defineRoute({
  method: "post",
  path: "/webhooks/stripe",
  // Authenticated by the Stripe-Signature header over the raw body, not by a bearer token.
  access: "public",
  summary: "Receive a Stripe event",
  description:
    "The body is the event exactly as Stripe sent it. `payment_intent.succeeded`, `payment_failed` and " +
    "`canceled` are applied once per event id; `refund.failed` (or `charge.refund.updated` to `failed`) reopens " +
    "the refund as owed and alerts ops, once per refund; `transfer.*` events (the platform's own) are recorded once for " +
    "payout reconciliation; other verified events are acknowledged and ignored.",
  request: { headers: z.object({ "stripe-signature": z.string().optional() }) },
  responses: {
    200: json(z.object({ received: z.literal(true) }), "Verified and handled (or deliberately ignored)"),
    400: problem("Missing or bad signature; nothing changed"),
    404: problem("Stripe is not configured"),
  },
});

const connectEvent = defineRoute({
  method: "post",
  path: "/webhooks/stripe-connect",
  access: "public",
  summary: "Receive a Stripe Connect event",
  description:
    "The Connect endpoint, signed with its own secret (STRIPE_CONNECT_WEBHOOK_SECRET). `account.updated` keeps " +
    "the holding vendor's payout readiness current (a late event older than the stored report changes nothing); " +
    "`transfer.*` events are recorded for reconciliation. Each event id applies once; others are acknowledged.",
  request: { headers: z.object({ "stripe-signature": z.string().optional() }) },
  responses: {
    200: json(z.object({ received: z.literal(true) }), "Verified and handled (or deliberately ignored)"),
    400: problem("Missing or bad signature; nothing changed"),
    404: problem("Stripe Connect is not configured"),
  },
});

function ignored(
  requestId: string,
  event: { eventId: string; type: string; paymentId: string },
  code: string,
  detail: string,
) {
  console.warn(
    JSON.stringify({
      requestId,
      webhook: "stripe",
      eventId: event.eventId,
      type: event.type,
      paymentId: event.paymentId,
      ignored: code,
      detail,
    }),
  );
}

export const webhooks = router()
  .openapi(connectEvent, async (c) => {
    const verified = await verifiedPayoutEvent(c.env, "connect", await c.req.text(), c.req.header("stripe-signature"));
    if (!verified.ok && verified.code === "NOT_CONFIGURED") {
      throw new ApiError("NOT_FOUND", "Stripe Connect is not configured on this deployment");
    }
    if (!verified.ok) throw new ApiError("BAD_SIGNATURE", "The Stripe-Signature header does not verify this body");
    const applied = await applyPayoutEvent(c.env, verified.event, new Date());
    // Stripe delivers a refused event again, with backoff, for three days.
    if (!applied.settled) {
      throw new ApiError(
        "PAYMENT_PROVIDER_ERROR",
        "The connected account could not be read to order this event; send it again",
      );
    }
    return c.json({ received: true as const }, 200);
  })
  .openapi(stripeEvent, async (c) => {
    // The signature covers the exact bytes; parsing and re-serialising the JSON would break it.
    const raw = await c.req.text();
    const verified = await verifiedStripeEvent(c.env, raw, c.req.header("stripe-signature"));
    if (!verified.ok && verified.code === "NOT_CONFIGURED") {
      throw new ApiError("NOT_FOUND", "Stripe is not configured on this deployment");
    }
    if (!verified.ok) throw new ApiError("BAD_SIGNATURE", "The Stripe-Signature header does not verify this body");

    const { event } = verified;
    if (event.type.startsWith("transfer.")) {
      const payout = await verifiedPayoutEvent(c.env, "platform", raw, c.req.header("stripe-signature"));
      if (payout.ok) await applyPayoutEvent(c.env, payout.event, new Date());
    }
    if (event.refundFailure) {
      const failed = await applyRefundFailure(
        c.env,
        {
          eventId: event.eventId,
          paymentId: event.paymentId,
          providerRefundId: event.refundFailure.refundId,
          reason: event.refundFailure.reason,
          // When it is applied, not Stripe's event time: a webhook Stripe retried for a day is news
          // now, to the shopper, the feeds (which drop an event a day old) and the retry's clock.
          at: new Date(),
        },
        c.executionCtx,
      );
      // A refund of a payment this deployment never took does not improve on redelivery either.
      if (!failed.ok) ignored(c.get("requestId"), event, failed.code, failed.detail);
    }
    if (event.outcome) {
      const result = await applyPaymentOutcome(
        c.env,
        {
          paymentId: event.paymentId,
          outcome: event.outcome,
          eventId: event.eventId,
          chargeId: event.chargeId,
          at: event.at,
          actor: systemActor("stripe"),
        },
        c.executionCtx,
      );
      // An unknown intent (another deployment on the same Stripe account) or an outcome contradicting a settled
      // payment (a failure delivered after the success) does not improve on redelivery: acknowledge it so Stripe
      // stops retrying. Real failures throw and answer 500, which Stripe retries.
      if (!result.ok) ignored(c.get("requestId"), event, result.code, result.detail);
    }
    return c.json({ received: true as const }, 200);
  });
