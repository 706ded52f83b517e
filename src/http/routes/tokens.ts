import { z } from "@hono/zod-openapi";
import { Id, json, jsonBody, problemResponses } from "../../contracts/common";
import { CreatedToken, CreateToken } from "../../contracts/tokens";
import { database } from "../../db/client";
import { customerExists, vendorExists } from "../../db/customers";
import { insertToken, revokeToken } from "../../db/tokens";
import { newSecretToken, sha256Hex } from "../../domain/crypto";
import { newId } from "../../domain/ids";
import { BOOTSTRAP_TOKEN_ID } from "../../domain/principal";
import { isoSeconds } from "../../domain/time";
import { forgetToken, requireRole } from "../auth";
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

const signOut = defineRoute({
  method: "delete",
  path: "/tokens/current",
  access: ["admin", "ops", "vendor", "customer"],
  summary: "Sign out: revoke the token this request carries",
  description:
    "Ends the caller's own session (a vendor's session on one device, say); this isolate refuses it at once and " +
    "every other within 30 seconds. The bootstrap admin token is configuration, not a session: 409.",
  responses: { 204: { description: "Revoked" }, ...problemResponses },
});

export const tokens = router()
  // Before DELETE /tokens/{id}, which would take "current" for an id.
  .openapi(signOut, async (c) => {
    const who = requireRole(c, "admin", "ops", "vendor", "customer");
    if (who.tokenId === BOOTSTRAP_TOKEN_ID) {
      throw new ApiError(
        "CONFLICT",
        "The bootstrap token is set in the configuration; remove ADMIN_BOOTSTRAP_TOKEN to retire it",
      );
    }
    const hash = await revokeToken(database(c.env), who.tokenId, isoSeconds(new Date()));
    if (hash) forgetToken(hash);
    return c.body(null, 204);
  })
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
