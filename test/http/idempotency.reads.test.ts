import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, tokenFor, uid } from "../support/api";

describe("an Idempotency-Key on a read", () => {
  it("is not kept: HEAD runs the GET handler, and its body is no answer to replay", async () => {
    const ops = await tokenFor("ops");
    const key = uid("head-");
    const res = await api("HEAD", "/v1/orders/export?format=csv", { token: ops, headers: { "idempotency-key": key } });
    expect(res.status).toBe(200);
    const kept = await env.DB.prepare("select count(*) as n from idempotency_keys where key = ?")
      .bind(key)
      .first<{ n: number }>();
    expect(kept).toEqual({ n: 0 });
  });
});
