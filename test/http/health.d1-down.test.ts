import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { sha256Hex } from "../../src/domain/crypto";
import { ADMIN, uid } from "../support/api";
import { type Call, d1Statements, lost } from "../support/bindings";

/** An ops token written straight to D1, so no isolate has it cached: a request with it reads D1. */
async function uncachedOpsToken(): Promise<string> {
  const token = `oms_${uid("ops")}`;
  await env.DB.prepare(
    "insert into api_tokens (id, token_hash, role, created_at, revoked_at, expires_at) values (?, ?, 'ops', ?, null, null)",
  )
    .bind(uid("tok_"), await sha256Hex(token), new Date().toISOString())
    .run();
  return token;
}

/** Through the whole app, with an execution context, as the Worker entry calls it. */
async function health(bindings: Env, token?: string) {
  const ctx = createExecutionContext();
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const started = Date.now();
  const res = await createApp().request("/v1/health", { headers }, bindings, ctx);
  const body = (await res.json()) as Record<string, any>;
  const tookMs = Date.now() - started;
  await waitOnExecutionContext(ctx);
  return { status: res.status, body, tookMs };
}

/** A D1 read that answers, but only after the monitor would have given up on a health check waiting for it. */
const slow =
  (call: Call): Call =>
  (...args) =>
    scheduler.wait(4_000).then(() => call(...args));

describe("GET /v1/health while D1 is down", () => {
  it("answers 503, not 500, to a token it cannot look up, and shows it only up or down", async () => {
    const ops = await uncachedOpsToken();
    const down = d1Statements(() => lost);
    const res = await health(down, ops);
    expect(res.status).toBe(503);
    expect(Object.keys(res.body).sort()).toEqual(["checkedAt", "status"]);
    expect(res.body.status).toBe("failing");

    // Once D1 answers, the same token is verified and sees every check.
    const up = await health(env, ops);
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ status: "ok", checks: { d1: { ok: true } } });
  });

  it("shows the bootstrap token, which needs no lookup, the failed D1 check", async () => {
    const res = await health(
      d1Statements(() => lost),
      ADMIN,
    );
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({
      status: "failing",
      checks: { d1: { ok: false }, stock: { ok: true }, payments: { ok: true } },
    });
  });

  it("does not wait for a slow token lookup", { timeout: 15_000 }, async () => {
    const ops = await uncachedOpsToken();
    // Only the token lookup is slow (the probe's statement names api_tokens as "api_tokens").
    const slowLookup = d1Statements((call, sql) => (/from api_tokens where/.test(sql) ? slow(call) : call));
    const res = await health(slowLookup, ops);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["checkedAt", "status"]);
    expect(res.tookMs).toBeLessThan(3_000);
  });

  it("still refuses a token D1 says is unknown", async () => {
    expect((await health(env, `oms_${uid("nobody")}`)).status).toBe(401);
  });
});
