import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { uid } from "../support/api";

describe("AddressLimits admissions", () => {
  it("admits at most max in the window, then says when the next one is allowed", async () => {
    const c = env.ADDRESS_LIMITS.get(env.ADDRESS_LIMITS.idFromName(uid("signup:")));
    expect(await c.admit(2, 60_000)).toEqual({ ok: true });
    expect(await c.admit(2, 60_000)).toEqual({ ok: true });
    const refused = await c.admit(2, 60_000);
    expect(refused).toMatchObject({ ok: false, code: "ADDRESS_LIMIT", limit: 2 });
    if (refused.ok) throw new Error("expected a refusal");
    expect(refused.retryAfterMs).toBeGreaterThan(50_000);
  });
});
