import { describe, expect, it } from "vitest";
import { ADMIN, api, uid } from "../support/api";
import { inr, newProduct, newSku, newVendorWithToken } from "../support/catalog";

describe("X-Request-Id", () => {
  it("is on every problem answer, the requestId of its body", async () => {
    const answers = {
      "no route": await api("GET", "/v1/nope"),
      invalid: await api("POST", "/v1/customers", { body: { name: "" } }),
      unauthenticated: await api("GET", "/v1/me"),
      "wrong method": await api("DELETE", "/v1/health", { token: ADMIN }),
    };
    expect(Object.values(answers).map((r) => r.status)).toEqual([404, 422, 401, 405]);
    for (const [what, r] of Object.entries(answers)) {
      expect(r.body.requestId, what).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.headers.get("x-request-id"), what).toBe(r.body.requestId);
    }
  });

  it("is on successful answers too, and never the caller's", async () => {
    const ok = await api("GET", "/v1/health", { headers: { "x-request-id": "mine" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("is on an idempotent replay, the replay's own", async () => {
    const v = await newVendorWithToken();
    const sku = await newSku(v.vendorId, (await newProduct()).id);
    const key = uid("rid-");
    const send = () =>
      api("PATCH", `/v1/skus/${sku.id}`, {
        token: v.token,
        headers: { "idempotency-key": key },
        body: { price: inr(41_000) },
      });
    const first = await send();
    const replay = await send();
    expect([first.status, replay.status, replay.headers.get("idempotent-replayed")]).toEqual([200, 200, "true"]);
    expect(replay.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(replay.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"));
  });
});
