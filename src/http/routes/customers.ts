import { json, jsonBody, problemResponses } from "../../contracts/common";
import { CreateCustomer, CreatedCustomer } from "../../contracts/tokens";
import { signUpGuest } from "../../guests/sign-up";
import { rememberToken } from "../auth";
import { clientAddressOf } from "../client-address";
import { router } from "../context";
import { ApiError } from "../errors";
import { defineRoute } from "../route";

const create = defineRoute({
  method: "post",
  path: "/customers",
  access: "public",
  summary: "Register a guest customer and get its token",
  description:
    "Limited per client address (MAX_GUESTS_PER_IP_PER_HOUR; 429 with Retry-After past it). The token expires after 24 hours unless the guest places an order; then it lives while its orders are open and 30 days after.",
  request: jsonBody(CreateCustomer),
  responses: { 201: json(CreatedCustomer, "Created"), ...problemResponses },
});

export const customers = router().openapi(create, async (c) => {
  const outcome = await signUpGuest(c.env, {
    clientAddress: clientAddressOf(c),
    body: c.req.valid("json"),
    now: new Date(),
  });
  if (!outcome.ok) {
    throw new ApiError(outcome.code, outcome.detail, {}, { "Retry-After": String(outcome.retryAfterSeconds) });
  }
  const { customerId, token, tokenId, tokenHash } = outcome;
  rememberToken(tokenHash, { role: "customer", tokenId, customerId });
  return c.json({ customerId, token }, 201);
});
