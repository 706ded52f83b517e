import { describe, expect, it } from "vitest";
import { contentSecurityPolicy } from "../../src/http/security-headers";
import { api, newCustomer } from "../support/api";

const STRIPE_ORIGINS = ["https://js.stripe.com", "https://hooks.stripe.com", "https://api.stripe.com"];

/** The policy as directive name -> sources. */
function directives(csp: string | null): Record<string, string[]> {
  expect(csp).toBeTruthy();
  return Object.fromEntries(
    (csp ?? "")
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

function expectSecurityHeaders(headers: Headers, what: string) {
  expect(headers.get("x-content-type-options"), what).toBe("nosniff");
  expect(headers.get("referrer-policy"), what).toBe("strict-origin-when-cross-origin");
  const csp = directives(headers.get("content-security-policy"));
  expect(csp["frame-ancestors"], what).toEqual(["'none'"]);
  expect(csp["script-src"], what).toContain("'self'");
  for (const origin of STRIPE_ORIGINS) expect(headers.get("content-security-policy"), what).not.toContain(origin);
}

describe("security headers", () => {
  it("are on API answers, success and error alike", async () => {
    const shopper = await newCustomer();
    const answers = {
      ok: await api("GET", "/v1/me", { token: shopper.token }),
      unauthenticated: await api("GET", "/v1/me"),
      invalid: await api("POST", "/v1/customers", { body: { name: "" } }),
      "no route": await api("GET", "/v1/no-such-route"),
    };
    expect(answers.ok.status).toBe(200);
    expect(answers.unauthenticated.status).toBe(401);
    expect(answers.invalid.status).toBe(422);
    expect(answers["no route"].status).toBe(404);
    for (const [what, res] of Object.entries(answers)) expectSecurityHeaders(res.headers, what);
  });

  it("are on /docs, whose Swagger UI needs no inline script or style", async () => {
    const res = await api("GET", "/docs");
    expect(res.status).toBe(200);
    expectSecurityHeaders(res.headers, "/docs");
    expect(res.headers.get("content-security-policy")).not.toContain("unsafe-inline");
  });

  it("are on the web app's files and deep links, which keep the single-page fallback", async () => {
    const root = await api("GET", "/");
    const deep = await api("GET", "/ops/orders/ord_missing");
    const file = await api("GET", "/favicon.svg");
    for (const [what, res] of Object.entries({ root, deep, file })) expectSecurityHeaders(res.headers, what);
    // A deep link is answered with the app itself (when web/dist is built: index.html, 200).
    expect(deep.status).toBe(root.status);
    expect(deep.body).toEqual(root.body);
    if (root.status === 200) expect(root.headers.get("content-type")).toContain("text/html");
  });
});

describe("the Content-Security-Policy", () => {
  it("allows this origin's WebSocket and WebAssembly, and Stripe only when it is configured", () => {
    const plain = directives(contentSecurityPolicy(new URL("https://shop.example/ops"), false));
    expect(plain["connect-src"]).toEqual(["'self'", "wss://shop.example"]);
    expect(plain["script-src"]).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(plain["style-src"]).toEqual(["'self'"]);
    expect(plain["img-src"]).toEqual(["'self'", "data:", "blob:"]);
    expect(plain["object-src"]).toEqual(["'none'"]);

    const local = directives(contentSecurityPolicy(new URL("http://127.0.0.1:8787/"), false));
    expect(local["connect-src"]).toEqual(["'self'", "ws://127.0.0.1:8787"]);

    const stripe = directives(contentSecurityPolicy(new URL("https://shop.example/"), true));
    expect(stripe["script-src"]).toContain("https://js.stripe.com");
    expect(stripe["frame-src"]).toEqual(expect.arrayContaining(["https://js.stripe.com", "https://hooks.stripe.com"]));
    expect(stripe["connect-src"]).toContain("https://api.stripe.com");
    expect(stripe["frame-ancestors"]).toEqual(["'none'"]);
  });
});

describe("the request id", () => {
  it("is always the server's own, whatever id the caller sends", async () => {
    const chosen = "support-ticket-1234";
    const ok = await api("GET", "/v1/catalog/skus", { headers: { "x-request-id": chosen } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const refused = await api("GET", "/v1/nope", { headers: { "x-request-id": chosen } });
    expect(refused.status).toBe(404);
    expect(refused.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
