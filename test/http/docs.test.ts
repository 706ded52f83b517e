import { describe, expect, it } from "vitest";
import { api } from "../support/api";

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

describe("API reference", () => {
  it("publishes an OpenAPI 3.1 document where every route states its roles", async () => {
    const res = await api("GET", "/v1/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const doc = res.body;
    expect(typeof doc).toBe("object");
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: "http", scheme: "bearer" }));
    const operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );
    expect(operations.length).toBeGreaterThan(0);
    const withoutRoles = operations.filter(({ op }) => !Array.isArray(op["x-roles"]) || op["x-roles"].length === 0);
    expect(withoutRoles.map((o) => o.route)).toEqual([]);
    for (const { route, op } of operations) {
      const isPublic = op["x-roles"].includes("public");
      // A route that needs a role must say how to authenticate. A public one takes a token too, and
      // may answer by it (`[]` would tell Swagger UI and generated clients never to send one).
      expect(op.security, route).toEqual(isPublic ? [{}, { bearer: [] }] : [{ bearer: [] }]);
    }
  });

  it("lets a caller send its token to the public routes that answer by it", async () => {
    const doc = (await api("GET", "/v1/openapi.json")).body;
    for (const [path, method] of [
      ["/skus/{skuId}/stock", "get"],
      ["/products", "get"],
      ["/products/{productId}", "get"],
      ["/products/{productId}/images", "get"],
      ["/health", "get"],
    ] as const) {
      const op = doc.paths[path]?.[method];
      expect(op?.["x-roles"], `${method} ${path}`).toEqual(["public"]);
      // Either requirement: no credentials, or the bearer token.
      expect(op.security, `${method} ${path}`).toEqual([{}, { bearer: [] }]);
    }
  });

  it("publishes the optional Idempotency-Key on the authenticated writes that honour it", async () => {
    const doc = (await api("GET", "/v1/openapi.json")).body;
    const keyOf = (path: string, method: string) =>
      (doc.paths[path]?.[method]?.parameters ?? []).filter(
        (p: { in: string; name: string }) => p.in === "header" && p.name.toLowerCase() === "idempotency-key",
      );
    for (const [path, method] of [
      ["/vendors", "post"],
      ["/sub-orders/{id}/confirm", "post"],
      ["/orders/{orderId}/cancel", "post"],
    ] as const) {
      const [key, ...more] = keyOf(path, method);
      expect(more, `${method} ${path}`).toEqual([]);
      expect(key, `${method} ${path}`).toEqual(
        expect.objectContaining({
          name: "Idempotency-Key",
          required: false,
          schema: expect.objectContaining({ maxLength: 255 }),
        }),
      );
    }
    // A route that requires its key publishes it once, as required.
    const [required, ...again] = keyOf("/sub-orders/bulk", "post");
    expect(again).toEqual([]);
    expect(required.required).toBe(true);
    // Checkout and webhooks keep their own exactly-once rules; reads take no key.
    for (const [path, method] of [
      ["/checkout", "post"],
      ["/webhooks/stripe", "post"],
      ["/orders", "get"],
    ] as const) {
      expect(
        keyOf(path, method).filter((p: { required: boolean }) => !p.required),
        `${method} ${path}`,
      ).toEqual([]);
    }
  });

  it("renders /docs as HTML that loads only same-origin relative URLs", async () => {
    for (const path of ["/docs", "/docs/"]) {
      const res = await api("GET", path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/html");
      const html = res.body as string;
      const scripts = [...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0]);
      const links = [...html.matchAll(/<link\b[^>]*>/gi)].map((m) => m[0]);
      expect(scripts.length).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag, tag).toMatch(/\bsrc="\/(?!\/)[^"]+"/);
      for (const tag of links) expect(tag, tag).toMatch(/\bhref="\/(?!\/)[^"]+"/);
      // Nothing anywhere in the page names another origin.
      expect(html).not.toMatch(/(?:src|href)="(?:[a-z][a-z0-9+.-]*:)?\/\//i);
      expect(html).toContain('data-spec-url="/v1/openapi.json"');
      expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    }
  });
});
