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

describe("idempotent writes", () => {
  it("replays a create retried with the same key, refuses the key for another body, and frees it after a failure", async () => {
    const key = `k-${crypto.randomUUID()}`;
    const body = { name: `Idem Vendor ${key}`, commissionBps: 1000, hourlyCapacity: 10 };
    const headers = { "Idempotency-Key": key };
    const [a, b] = await Promise.all([
      api("POST", "/v1/vendors", { token: ADMIN, body, headers }),
      api("POST", "/v1/vendors", { token: ADMIN, body, headers }),
    ]);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.id).toBe(a.body.id);
    const other = await api("POST", "/v1/vendors", { token: ADMIN, body: { ...body, hourlyCapacity: 11 }, headers });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    const list = await api("GET", "/v1/vendors?limit=200", { token: ADMIN });
    expect(list.body.items.filter((v: any) => v.name === body.name)).toHaveLength(1);

    const failKey = { "Idempotency-Key": `k-${crypto.randomUUID()}` };
    const bad = await api("POST", "/v1/vendors", {
      token: ADMIN,
      body: { ...body, commissionBps: -1 },
      headers: failKey,
    });
    expect(bad.status).toBe(422);
    const fixed = await api("POST", "/v1/vendors", {
      token: ADMIN,
      body: { ...body, commissionBps: -1 },
      headers: failKey,
    });
    expect(fixed.status).toBe(422);
    expect(fixed.headers.get("idempotent-replayed")).toBeNull();
  });
});
