import { z } from "@hono/zod-openapi";
import { BridgeReceipt, BridgeReport, BridgeRequest, BridgeSecret } from "../../contracts/bridge";
import { Id, json, problemResponses } from "../../contracts/common";
import { type BridgeRefusal, bridgeReport, receiveBridgeRows, rotateBridgeSecret } from "../../inventory/bridge";
import { router } from "../context";
import { ApiError } from "../errors";
import { idempotencyKeyOf } from "../idempotency";
import { defineRoute } from "../route";
import { actsFor, notFound, principalOf } from "../scope";

const Params = z.object({ vendorId: Id });

const receive = defineRoute({
  method: "post",
  path: "/vendors/{vendorId}/inventory-bridge",
  access: "public",
  summary: "Receive counts and deltas from a vendor's sheet or ERP (signed)",
  description:
    "Authenticated by `Bridge-Signature: t=<unix seconds>,v1=<hex>`, an HMAC-SHA256 with the vendor's bridge secret " +
    "over `<t>.<raw body>`. The body is a BridgeRequest: up to 1,000 rows, each a count (`count`, `countedAt`) or a " +
    "delta (`delta`, `reason`) of one SKU (`skuId` or `skuCode`) in one of the vendor's warehouses. Refused with " +
    "nothing staged: a bad signature (400 BAD_SIGNATURE), a timestamp more than 5 minutes off (400 SIGNATURE_EXPIRED), " +
    "a signature already received (409 SIGNATURE_REPLAYED), and any malformed row or another vendor's SKU or " +
    "warehouse (422, every such row listed). Accepted rows are staged and applied by the every-minute reconcile. " +
    "An optional Idempotency-Key makes a retry safe however it is signed: the same rows under the same key within " +
    "48 hours answer the first receipt (Idempotent-Replayed: true) and stage nothing; other rows under it are 422.",
  request: {
    params: Params,
    // Optional to the validator: a missing signature is the route's own 400 BAD_SIGNATURE, not a 422.
    headers: z.object({
      "bridge-signature": z
        .string()
        .optional()
        .openapi({
          param: { required: true },
          description: "`t=<unix seconds>,v1=<hex>`: HMAC-SHA256 with the bridge secret over `<t>.<raw body>`",
        }),
      "idempotency-key": z
        .string()
        .optional()
        .openapi({ description: "Optional: 1-255 visible ASCII characters; a retry under it stages nothing twice" }),
    }),
    // Published by reference, not as the zod schema: a zod schema here would get a validator that
    // judges the body before the signature over its exact bytes is checked (a forged request a 422).
    body: {
      required: true,
      content: { "application/json": { schema: { $ref: "#/components/schemas/BridgeRequest" } } },
    },
  },
  responses: { 202: json(BridgeReceipt, "Staged"), ...problemResponses },
});

const rotate = defineRoute({
  method: "post",
  path: "/vendors/{vendorId}/inventory-bridge/secret",
  access: ["admin", "ops", "vendor"],
  summary: "Create or rotate the vendor's bridge signing secret (shown once)",
  description:
    "The new secret replaces the old one at once: requests signed with the old one are refused from then on. " +
    "It is shown only in this answer; the marketplace keeps it sealed. A vendor may rotate only its own (404 otherwise).",
  request: { params: Params },
  responses: { 201: json(BridgeSecret, "The new secret"), ...problemResponses },
});

const report = defineRoute({
  method: "get",
  path: "/vendors/{vendorId}/inventory-bridge",
  access: ["admin", "ops", "vendor"],
  summary: "The vendor's bridge: rows waiting, and where its sheet and the marketplace disagree",
  description:
    "Per SKU and warehouse, the latest count applied: what the sheet said, what the marketplace held at that time, " +
    "the drift between them and what was applied; largest drift first. A vendor may read only its own (404 otherwise).",
  request: {
    params: Params,
    query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(200) }),
  },
  responses: { 200: json(BridgeReport, "The bridge and its drift"), ...problemResponses },
});

function refused(r: BridgeRefusal, vendorId: string): never {
  switch (r.code) {
    case "NOT_FOUND":
      throw new ApiError("NOT_FOUND", `No inventory bridge for vendor ${vendorId}: create its secret first`);
    case "VALIDATION_FAILED":
      throw new ApiError("VALIDATION_FAILED", r.detail, { errors: r.errors });
    case "BAD_SIGNATURE":
      throw new ApiError(
        "BAD_SIGNATURE",
        "Bridge-Signature does not verify with this vendor's secret; nothing was staged",
      );
    case "SIGNATURE_EXPIRED":
      throw new ApiError(
        "SIGNATURE_EXPIRED",
        "Sign each request when it is sent (t within 5 minutes); nothing was staged",
      );
    case "IDEMPOTENCY_KEY_REUSED":
      throw new ApiError("IDEMPOTENCY_KEY_REUSED", "The Idempotency-Key was used with other rows; nothing was staged");
    case "SIGNATURE_REPLAYED":
      throw new ApiError("SIGNATURE_REPLAYED", "This signed request was received before; nothing was staged again");
    case "BRIDGE_NOT_CONFIGURED":
      throw new ApiError("BRIDGE_NOT_CONFIGURED", "Set BRIDGE_SECRET_KEY to use the inventory bridge");
  }
}

const bridge = router();
// The receive route's body, parsed by hand after the signature check, published as a component.
bridge.openAPIRegistry.register("BridgeRequest", BridgeRequest);

export const inventoryBridge = bridge
  .openapi(receive, async (c) => {
    const { vendorId } = c.req.valid("param");
    // The signature covers the exact bytes: read them before anything parses them.
    const body = await c.req.text();
    const header = c.req.header("bridge-signature");
    const idempotencyKey = c.req.header("idempotency-key") === undefined ? null : idempotencyKeyOf(c);
    const r = await receiveBridgeRows(c.env, { vendorId, header, body, idempotencyKey, now: new Date() });
    if (!r.ok) refused(r, vendorId);
    if (r.replayed) c.header("Idempotent-Replayed", "true");
    return c.json({ staged: r.staged, rowIds: r.rowIds }, 202);
  })
  .openapi(rotate, async (c) => {
    const { vendorId } = c.req.valid("param");
    if (!actsFor(principalOf(c), vendorId)) throw notFound("vendor", vendorId);
    const r = await rotateBridgeSecret(c.env, vendorId, new Date());
    if (!r.ok && r.code === "NOT_FOUND") throw notFound("vendor", vendorId);
    if (!r.ok) throw new ApiError("BRIDGE_NOT_CONFIGURED", "Set BRIDGE_SECRET_KEY to use the inventory bridge");
    const url = new URL(`/v1/vendors/${vendorId}/inventory-bridge`, c.req.url).toString();
    return c.json(
      {
        vendorId,
        secret: r.secret,
        rotatedAt: r.rotatedAt,
        url,
        signature: "Bridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of `<t>.<raw body>`>",
      },
      201,
    );
  })
  .openapi(report, async (c) => {
    const { vendorId } = c.req.valid("param");
    if (!actsFor(principalOf(c), vendorId)) throw notFound("vendor", vendorId);
    const found = await bridgeReport(c.env, vendorId, c.req.valid("query").limit);
    if (!found) throw notFound("vendor", vendorId);
    return c.json(found, 200);
  });
