import { describe, expect, it } from "vitest";
import { api, newCustomer, tokenFor, uid } from "../support/api";
import { shipTo } from "../support/marketplace";

// Every route that answers 400 IDEMPOTENCY_KEY_REQUIRED without a key, as `POST <path>` in the
// OpenAPI document (paths there are relative to /v1).
const REQUIRED = [
  "/checkout",
  "/skus/{skuId}/stock/adjustments",
  "/sub-orders/bulk",
  "/sub-orders/{id}/awb",
  "/sub-orders/{id}/reassign",
  "/sub-orders/{id}/return",
];

describe("Idempotency-Key on the routes that require one", () => {
  it("is published as a required header", async () => {
    const doc = (await api("GET", "/v1/openapi.json")).body;
    const paths = doc.paths as Record<string, any>;
    for (const path of REQUIRED) {
      const op = Object.entries(paths).find(([p]) => p === path || p === `/v1${path}`)?.[1]?.post;
      expect(op, path).toBeDefined();
      const key = (op.parameters ?? []).find((p: any) => p.in === "header" && p.name === "idempotency-key");
      expect({ path, required: key?.required }).toEqual({ path, required: true });
    }
  });

  it("is still answered 400 IDEMPOTENCY_KEY_REQUIRED when missing, not a schema's 422", async () => {
    const ops = await tokenFor("ops");
    const shopper = await newCustomer();
    const missing = uid("none");
    const calls: [string, string, unknown][] = [
      ["/v1/checkout", shopper.token, { lines: [{ skuId: missing, qty: 1 }], shipTo: shipTo() }],
      [`/v1/skus/${missing}/stock/adjustments`, ops, { warehouseId: missing, delta: 1, reason: "restock" }],
      ["/v1/sub-orders/bulk", ops, { action: "assign", ids: [missing], target: {}, reason: "audit" }],
      [`/v1/sub-orders/${missing}/awb`, ops, { carrier: "delhivery", awb: "1234567890" }],
      [`/v1/sub-orders/${missing}/reassign`, ops, { target: {}, reason: "audit" }],
      [
        `/v1/sub-orders/${missing}/return`,
        ops,
        { lines: [{ lineId: missing, qty: 1, restockable: true }], reason: "damaged" },
      ],
    ];
    for (const [path, token, body] of calls) {
      const res = await api("POST", path, { token, body });
      expect({ path, status: res.status, code: res.body.code }).toEqual({
        path,
        status: 400,
        code: "IDEMPOTENCY_KEY_REQUIRED",
      });
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
  });
});
