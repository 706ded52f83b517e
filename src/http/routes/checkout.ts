import { checkout as placeOrder } from "../../checkout/checkout";
import { json, jsonBody, problemResponses, requiredKeyHeader } from "../../contracts/common";
import { CheckoutBody, CheckoutResult } from "../../contracts/orders";
import { requireRole } from "../auth";
import { clientAddressOf } from "../client-address";
import { router } from "../context";
import { ApiError, validationError } from "../errors";
import { idempotencyKeyOf } from "../idempotency";
import { defineRoute } from "../route";

const route = defineRoute({
  method: "post",
  path: "/checkout",
  access: ["customer"],
  summary: "Reserve a cart and create its order and payment",
  description:
    "Every line is reserved under one hold (about 15 minutes) or nothing is; the order splits into one sub-order per vendor. Requires Idempotency-Key: a replay answers the same status and body.",
  request: {
    headers: requiredKeyHeader("a replay answers the same status and body"),
    ...jsonBody(CheckoutBody),
  },
  responses: { 201: json(CheckoutResult, "Order created, awaiting payment"), ...problemResponses },
});

export const checkout = router().openapi(route, async (c) => {
  const customer = requireRole(c, "customer");
  const idempotencyKey = idempotencyKeyOf(c);
  const outcome = await placeOrder(c.env, c.executionCtx, {
    customer,
    clientAddress: clientAddressOf(c),
    idempotencyKey,
    body: c.req.valid("json"),
    now: new Date(),
  });
  if (outcome.ok) {
    if (outcome.replayed) c.header("Idempotent-Replayed", "true");
    return c.json(outcome.body, 201);
  }
  switch (outcome.code) {
    case "OUT_OF_STOCK":
      throw new ApiError("OUT_OF_STOCK", "Some lines cannot be covered; nothing was reserved", {
        shortages: outcome.shortages,
      });
    case "VALIDATION_FAILED":
      throw validationError(outcome.errors, outcome.detail);
    case "RATE_LIMITED":
      throw new ApiError("RATE_LIMITED", outcome.detail, {}, { "Retry-After": String(outcome.retryAfterSeconds) });
    default:
      throw new ApiError(outcome.code, outcome.detail);
  }
});
