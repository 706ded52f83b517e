import { z } from "@hono/zod-openapi";
import { Id, json, jsonBody, problemResponses } from "../../contracts/common";
import { OrderView, SimulatePayment } from "../../contracts/orders";
import { database } from "../../db/client";
import { findPayment, loadOrder } from "../../db/orders";
import { newId } from "../../domain/ids";
import { actorOf } from "../../domain/principal";
import { settleSimulated, simulatedChargeId, simulatedProvider } from "../../gateways/simulated-payments";
import { requireRole } from "../../http/auth";
import { router } from "../../http/context";
import { ApiError } from "../../http/errors";
import { defineRoute } from "../../http/route";
import { orderViewFor } from "../../orders/view";
import { applyPaymentOutcome } from "../../payment-outcome/payment-outcome";
import { config } from "../../platform/config";

const simulate = defineRoute({
  method: "post",
  path: "/payments/{paymentId}/simulate",
  access: ["admin", "customer"],
  summary: "Settle a simulated payment as the shopper's bank would (development)",
  description:
    "The shopper who owns the order, or an admin; another customer's payment is 404. Applied through the same exactly-once path as a provider webhook. A repeat of the same outcome answers the same result; a payment already succeeded or canceled answers 409 to a different outcome. 404 when Stripe is configured.",
  request: { params: z.object({ paymentId: Id }), ...jsonBody(SimulatePayment) },
  responses: { 200: json(OrderView, "The order after the outcome"), ...problemResponses },
});

export const simulatePayments = router().openapi(simulate, async (c) => {
  const who = requireRole(c, "admin", "customer");
  const { paymentId } = c.req.valid("param");
  const { outcome } = c.req.valid("json");
  const db = database(c.env);
  const payment = config(c.env).stripe ? undefined : await findPayment(db, paymentId);
  const before = payment ? await loadOrder(db, payment.orderId) : null;
  if (!payment || !before || !orderViewFor(before, who)) throw new ApiError("NOT_FOUND", "No such simulated payment");

  const settledOtherwise = () =>
    new ApiError("CONFLICT", `The payment is already ${payment.status}; it cannot become ${outcome}`, {
      paymentStatus: payment.status,
    });
  const actor = actorOf(who);
  let eventId: string;
  switch (outcome) {
    case "succeeded":
      if (payment.status === "canceled") throw settledOtherwise();
      if (payment.status !== "succeeded" && !(await settleSimulated(c.env, paymentId, "succeeded"))) {
        const now = await findPayment(db, paymentId);
        if (now?.status !== "succeeded") throw settledOtherwise();
      }
      eventId = `sim:${paymentId}:succeeded`;
      break;
    case "failed":
      if (payment.status === "succeeded" || payment.status === "canceled") throw settledOtherwise();
      if (!(await settleSimulated(c.env, paymentId, "failed"))) throw settledOtherwise();
      // Every failed attempt is its own event on the timeline.
      eventId = `sim:${paymentId}:failed:${newId("try")}`;
      break;
    case "canceled": {
      if (payment.status === "succeeded") throw settledOtherwise();
      const cancelled = await simulatedProvider(c.env).cancel(paymentId);
      if (!cancelled.ok || cancelled.value.status !== "canceled") throw settledOtherwise();
      eventId = `sim:${paymentId}:canceled`;
      break;
    }
  }
  const applied = await applyPaymentOutcome(
    c.env,
    {
      paymentId,
      outcome,
      eventId,
      at: new Date(),
      actor,
      chargeId: outcome === "succeeded" ? await simulatedChargeId(paymentId) : null,
    },
    c.executionCtx,
  );
  if (!applied.ok) throw new ApiError(applied.code, applied.detail);
  const after = await loadOrder(db, payment.orderId);
  return c.json(orderViewFor(after!, who)!, 200);
});
