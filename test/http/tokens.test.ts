import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { newProduct, newVendor } from "../support/catalog";
import { pngOf } from "../support/images";

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

describe("signing out", () => {
  it("revokes the caller's own token, and only it", async () => {
    const vendor = await newVendor();
    const device = await tokenFor("vendor", { vendorId: vendor.id });
    const other = await tokenFor("vendor", { vendorId: vendor.id });
    expect((await api("GET", "/v1/me", { token: device })).status).toBe(200);
    expect((await api("DELETE", "/v1/tokens/current", { token: device })).status).toBe(204);
    const after = await api("GET", "/v1/me", { token: device });
    expect([after.status, after.body.code]).toEqual([401, "UNAUTHENTICATED"]);
    // The vendor's session on another device is untouched.
    expect((await api("GET", "/v1/me", { token: other })).status).toBe(200);
    const shopper = await newCustomer();
    expect((await api("DELETE", "/v1/tokens/current", { token: shopper.token })).status).toBe(204);
    expect((await api("GET", "/v1/me", { token: shopper.token })).status).toBe(401);
  });

  it("refuses the bootstrap token, which is configuration, and needs a token at all", async () => {
    const boot = await api("DELETE", "/v1/tokens/current", { token: ADMIN });
    expect([boot.status, boot.body.code]).toEqual([409, "CONFLICT"]);
    expect((await api("GET", "/v1/me", { token: ADMIN })).status).toBe(200);
    expect((await api("DELETE", "/v1/tokens/current")).status).toBe(401);
  });
});

describe("me", () => {
  it("says who a token belongs to", async () => {
    const customer = await newCustomer();
    const r = await api("GET", "/v1/me", { token: customer.token });
    expect(r.body).toEqual({ role: "customer", customerId: customer.customerId, currency: "INR" });
    expect((await api("GET", "/v1/me", { token: ADMIN })).body).toEqual({ role: "admin", currency: "INR" });
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

  it("tells binary bodies apart by their bytes: other bytes under the same key are 422", async () => {
    const product = await newProduct();
    const png = await pngOf(16, 16);
    // Both tails are invalid UTF-8: decoded as text, each would read as one U+FFFD.
    const [a, b] = [0xff, 0xfe].map((tail) => new Uint8Array([...png, tail]));
    const headers = { "content-type": "image/png", "Idempotency-Key": uid("img-") };
    const upload = (bytes: Uint8Array) =>
      api("POST", `/v1/products/${product.id}/images`, { token: ADMIN, rawBody: bytes, headers });
    const first = await upload(a!);
    expect(first.status).toBe(201);
    const again = await upload(a!);
    expect([again.status, again.headers.get("idempotent-replayed"), again.body.id]).toEqual([
      201,
      "true",
      first.body.id,
    ]);
    const other = await upload(b!);
    expect([other.status, other.body.code]).toEqual([422, "IDEMPOTENCY_KEY_REUSED"]);
    expect((await api("GET", `/v1/products/${product.id}/images`, { token: ADMIN })).body.items).toHaveLength(1);
  });

  it("never keeps an answer that carries a secret shown once, so a retry mints a new one", async () => {
    const vendor = await newVendor();
    for (const [path, body, secretOf] of [
      ["/v1/tokens", { role: "ops" }, (b: any) => b.token],
      ["/v1/onboarding/invites", { email: `${uid("v")}@shop.example` }, (b: any) => b.link],
      [`/v1/vendors/${vendor.id}/inventory-bridge/secret`, {}, (b: any) => b.secret],
    ] as const) {
      const headers = { "Idempotency-Key": uid("k-") };
      const first = await api("POST", path, { token: ADMIN, body, headers });
      const second = await api("POST", path, { token: ADMIN, body, headers });
      expect([first.status, second.status], path).toEqual([201, 201]);
      expect(second.headers.get("idempotent-replayed"), path).toBeNull();
      expect(secretOf(second.body), path).not.toBe(secretOf(first.body));
      const kept = await env.DB.prepare("select response_body from idempotency_keys where key = ?")
        .bind(headers["Idempotency-Key"])
        .all();
      expect(kept.results, path).toEqual([]);
    }
  });

  it("never keeps a shopper's or a vendor's new session, even when the caller sends a token and a key", async () => {
    const headers = { "Idempotency-Key": uid("k-") };
    const first = await api("POST", "/v1/customers", { token: ADMIN, body: { name: "Asha" }, headers });
    const second = await api("POST", "/v1/customers", { token: ADMIN, body: { name: "Asha" }, headers });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.token).not.toBe(first.body.token);

    const invite = await api("POST", "/v1/onboarding/invites", {
      token: ADMIN,
      body: { email: `${uid("v")}@shop.example` },
    });
    const secret = new URL(invite.body.link).hash.replace("#invite=", "");
    const acceptKey = { "Idempotency-Key": uid("k-") };
    const opened = await api("POST", "/v1/onboarding/invites/accept", {
      token: ADMIN,
      body: { token: secret },
      headers: acceptKey,
    });
    expect(opened.status).toBe(201);
    // Spent: opened again it is used, never the first session handed out again.
    const again = await api("POST", "/v1/onboarding/invites/accept", {
      token: ADMIN,
      body: { token: secret },
      headers: acceptKey,
    });
    expect([again.status, again.body.code]).toEqual([410, "LINK_USED"]);

    for (const key of [headers["Idempotency-Key"], acceptKey["Idempotency-Key"]]) {
      const kept = await env.DB.prepare("select response_body from idempotency_keys where key = ?").bind(key).all();
      expect(kept.results, key).toEqual([]);
    }
  });
});
