import { json, jsonBody, problemResponses } from "../../contracts/common";
import { CreateCustomer, CreatedCustomer } from "../../contracts/tokens";
import { database } from "../../db/client";
import { insertCustomerWithToken } from "../../db/customers";
import { newSecretToken, sha256Hex } from "../../domain/crypto";
import { newId } from "../../domain/ids";
import { isoSeconds } from "../../domain/time";
import { rememberToken } from "../auth";
import { router } from "../context";
import { defineRoute } from "../route";

const create = defineRoute({
  method: "post",
  path: "/customers",
  access: "public",
  summary: "Register a guest customer and get its token",
  request: jsonBody(CreateCustomer),
  responses: { 201: json(CreatedCustomer, "Created"), ...problemResponses },
});

export const customers = router().openapi(create, async (c) => {
  const body = c.req.valid("json");
  const customerId = newId("cus");
  const token = newSecretToken();
  const createdAt = isoSeconds(new Date());
  const tokenId = newId("tok");
  const tokenHash = await sha256Hex(token);
  await insertCustomerWithToken(
    database(c.env),
    { id: customerId, name: body.name, email: body.email ?? null, phone: body.phone ?? null, createdAt },
    { id: tokenId, tokenHash },
  );
  rememberToken(tokenHash, { role: "customer", tokenId, customerId });
  return c.json({ customerId, token }, 201);
});
