import { z } from "@hono/zod-openapi";
import { json, Problem } from "../../contracts/common";
import { systemActor } from "../../domain/principal";
import { applyPaymentOutcome } from "../../payment-outcome/payment-outcome";
import { verifiedStripeEvent } from "../../payment-outcome/stripe-event";
import { router } from "../context";
import { ApiError } from "../errors";
import { defineRoute } from "../route";

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: Problem } },
});

const stripeEvent = defineRoute({
  method: "post",
  path: "/webhooks/stripe",
  // Authenticated by the Stripe-Signature header over the raw body, not by a bearer token.
  access: "public",
  summary: "Receive a Stripe event",
  description:
    "The body is the event exactly as Stripe sent it. `payment_intent.succeeded`, `payment_failed` and " +
    "`canceled` are applied once per event id; other verified events are acknowledged and ignored.",
  request: { headers: z.object({ "stripe-signature": z.string().optional() }) },
  responses: {
    200: json(z.object({ received: z.literal(true) }), "Verified and handled (or deliberately ignored)"),
    400: problem("Missing or bad signature; nothing changed"),
    404: problem("Stripe is not configured"),
  },
});

export const webhooks = router().openapi(stripeEvent, async (c) => {
  // The signature covers the exact bytes; parsing and re-serialising the JSON would break it.
  const verified = await verifiedStripeEvent(c.env, await c.req.text(), c.req.header("stripe-signature"));
  if (!verified.ok && verified.code === "NOT_CONFIGURED") {
    throw new ApiError("NOT_FOUND", "Stripe is not configured on this deployment");
  }
  if (!verified.ok) throw new ApiError("BAD_SIGNATURE", "The Stripe-Signature header does not verify this body");

  const { event } = verified;
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
    if (!result.ok) {
      console.warn(
        JSON.stringify({
          requestId: c.get("requestId"),
          webhook: "stripe",
          eventId: event.eventId,
          type: event.type,
          paymentId: event.paymentId,
          ignored: result.code,
          detail: result.detail,
        }),
      );
    }
  }
  return c.json({ received: true as const }, 200);
});
