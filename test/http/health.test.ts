import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { isoSeconds } from "../../src/domain/time";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";

describe("GET /v1/health", () => {
  it("tells anyone up or down, and nothing more", async () => {
    const res = await api("GET", "/v1/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(Object.keys(res.body).sort()).toEqual(["checkedAt", "status"]);
    expect(res.body.status).toBe("ok");

    const shopper = await newCustomer();
    const asShopper = await api("GET", "/v1/health", { token: shopper.token });
    expect(Object.keys(asShopper.body).sort()).toEqual(["checkedAt", "status"]);
    expect((await api("GET", "/v1/health", { token: "not-a-token" })).status).toBe(401);
  });

  it("shows ops and admin each check, the payment provider and the event backlog", async () => {
    // An outbox row the queue never got, two minutes old.
    const createdAt = isoSeconds(Date.now() - 120_000);
    await env.DB.prepare("INSERT INTO outbox (type, payload, dedupe_key, created_at) VALUES (?, ?, ?, ?)")
      .bind("order.paid", "{}", uid("health-"), createdAt)
      .run();

    for (const token of [ADMIN, await tokenFor("ops")]) {
      const res = await api("GET", "/v1/health", { token });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: "ok",
        checks: {
          d1: { ok: true },
          stock: { ok: true },
          payments: { ok: true, provider: "simulated" },
        },
      });
      expect(res.body.eventBacklog.unsent).toBeGreaterThanOrEqual(1);
      expect(res.body.eventBacklog.oldestUnsentAgeSeconds).toBeGreaterThanOrEqual(120);
    }
  });

  it("answers 503 with the same body when a check fails: production without Stripe keys", async () => {
    const production = { ...env, ENVIRONMENT: "production" };
    const app = createApp();
    const res = await app.request("/v1/health", { headers: { authorization: `Bearer ${ADMIN}` } }, production);
    expect(res.status).toBe(503);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: "failing",
      checks: { d1: { ok: true }, stock: { ok: true }, payments: { ok: false, provider: "none" } },
    });

    const anyone = await app.request("/v1/health", {}, production);
    expect(anyone.status).toBe(503);
    expect(Object.keys((await anyone.json()) as object).sort()).toEqual(["checkedAt", "status"]);
  });
});
