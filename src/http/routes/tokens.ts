import { z } from "@hono/zod-openapi";
import { Id, json, jsonBody, problemResponses } from "../../contracts/common";
import { CreatedToken, CreateToken } from "../../contracts/tokens";
import { database } from "../../db/client";
import { customerExists, vendorExists } from "../../db/customers";
import { insertToken, revokeToken } from "../../db/tokens";
import { newSecretToken, sha256Hex } from "../../domain/crypto";
import { newId } from "../../domain/ids";
import { isoSeconds } from "../../domain/time";
import { forgetToken } from "../auth";
import { router } from "../context";
import { ApiError, validationError } from "../errors";
import { defineRoute } from "../route";

const create = defineRoute({
  method: "post",
  path: "/tokens",
  access: ["admin"],
  summary: "Create an API token (shown once)",
  request: jsonBody(CreateToken),
  responses: { 201: json(CreatedToken, "Created"), ...problemResponses },
});

const revoke = defineRoute({
  method: "delete",
  path: "/tokens/{id}",
  access: ["admin"],
  summary: "Revoke an API token",
  request: { params: z.object({ id: Id }) },
  responses: { 204: { description: "Revoked" }, ...problemResponses },
});

export const tokens = router()
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    const db = database(c.env);
    if (body.vendorId && !(await vendorExists(db, body.vendorId))) {
      throw validationError([{ path: "vendorId", message: "no such vendor" }]);
    }
    if (body.customerId && !(await customerExists(db, body.customerId))) {
      throw validationError([{ path: "customerId", message: "no such customer" }]);
    }
    const id = newId("tok");
    const token = newSecretToken();
    await insertToken(db, { id, tokenHash: await sha256Hex(token), createdAt: isoSeconds(new Date()), ...body });
    return c.json({ id, token }, 201);
  })
  .openapi(revoke, async (c) => {
    const hash = await revokeToken(database(c.env), c.req.valid("param").id, isoSeconds(new Date()));
    if (!hash) throw new ApiError("NOT_FOUND", "No such active token");
    forgetToken(hash);
    return c.body(null, 204);
  });
