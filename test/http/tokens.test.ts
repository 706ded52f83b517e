import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";

describe("tokens and customers", () => {
  it("creates a guest customer whose token works and can be revoked", async () => {
    const customer = await newCustomer();
    expect(customer.token).toMatch(/^oms_/);
    const ops = await api("POST", "/v1/tokens", { token: ADMIN, body: { role: "ops" } });
    expect(ops.status).toBe(201);
    const del = await api("DELETE", `/v1/tokens/${ops.body.id}`, { token: ADMIN });
    expect(del.status).toBe(204);
    const again = await api("POST", "/v1/tokens", { token: ops.body.token, body: { role: "ops" } });
    expect(again.status).toBe(401);
  });

  it("answers 401, 403 and 422 as problem+json", async () => {
    const none = await api("POST", "/v1/tokens", { body: { role: "ops" } });
    expect(none.status).toBe(401);
    expect(none.headers.get("content-type")).toContain("application/problem+json");
    expect(none.body.code).toBe("UNAUTHENTICATED");
    const bad = await api("POST", "/v1/tokens", { token: "oms_nope", body: { role: "ops" } });
    expect(bad.status).toBe(401);
    const ops = await tokenFor("ops");
    const forbidden = await api("POST", "/v1/tokens", { token: ops, body: { role: "ops" } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe("FORBIDDEN");
    const invalid = await api("POST", "/v1/tokens", { token: ADMIN, body: { role: "vendor" } });
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors[0].path).toBe("vendorId");
    const malformed = await api("POST", "/v1/customers", {
      rawBody: "{nope",
      headers: { "content-type": "application/json" },
    });
    expect(malformed.status).toBe(422);
    expect(malformed.body.code).toBe("VALIDATION_FAILED");
    const media = await api("POST", "/v1/customers", { rawBody: "name=x", headers: { "content-type": "text/plain" } });
    expect(media.status).toBe(415);
  });

  it("answers unknown routes 404 and wrong methods 405", async () => {
    const nf = await api("GET", "/v1/nope");
    expect(nf.status).toBe(404);
    expect(nf.body.code).toBe("NOT_FOUND");
    const mna = await api("GET", "/v1/customers");
    expect(mna.status).toBe(405);
    expect(mna.headers.get("allow")).toBe("POST");
  });
});

describe("me", () => {
  it("says who a token belongs to", async () => {
    const customer = await newCustomer();
    const r = await api("GET", "/v1/me", { token: customer.token });
    expect(r.body).toEqual({ role: "customer", customerId: customer.customerId });
    expect((await api("GET", "/v1/me", { token: ADMIN })).body).toEqual({ role: "admin" });
    expect((await api("GET", "/v1/me")).status).toBe(401);
  });
});
