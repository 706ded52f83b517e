import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { uid } from "../support/api";

const counter = () => env.ADDRESS_LIMITS.get(env.ADDRESS_LIMITS.idFromName(uid("units:")));
const later = (ms: number) => Date.now() + ms;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("AddressLimits units", () => {
  it("refuses a claim past the cap and lists what it counted; the same hold id replaces its own count", async () => {
    const c = counter();
    expect(await c.claimUnits({ holdId: "h1", qty: 6, expiresAt: later(60_000), max: 10 })).toEqual({ ok: true });
    expect(await c.claimUnits({ holdId: "h1", qty: 8, expiresAt: later(60_000), max: 10 })).toEqual({ ok: true });
    const refused = await c.claimUnits({ holdId: "h2", qty: 3, expiresAt: later(60_000), max: 10 });
    expect(refused).toMatchObject({ ok: false, code: "ADDRESS_LIMIT", limit: 10, current: 8 });
    if (refused.ok) throw new Error("expected a refusal");
    expect(refused.counted.map((h) => h.holdId)).toEqual(["h1"]);
    expect(refused.retryAfterMs).toBeGreaterThan(50_000);
    expect(await c.claimUnits({ holdId: "h2", qty: 2, expiresAt: later(60_000), max: 10 })).toEqual({ ok: true });
  });

  it("stops counting a hold at its expiry, and the alarm drops it from storage", async () => {
    const c = counter();
    await c.claimUnits({ holdId: "h1", qty: 10, expiresAt: later(150), max: 10 });
    expect((await c.claimUnits({ holdId: "h2", qty: 1, expiresAt: later(60_000), max: 10 })).ok).toBe(false);
    await sleep(200);
    expect((await c.claimUnits({ holdId: "h2", qty: 10, expiresAt: later(60_000), max: 10 })).ok).toBe(true);
    await c.releaseUnits("h2");
    await runDurableObjectAlarm(c);
    const rows = await runInDurableObject(c, (_, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM unit_holds").one(),
    );
    expect(rows.n).toBe(0);
  });

  it("forgets a hold only as the caller saw it: a hold id claimed again since keeps counting", async () => {
    const c = counter();
    await c.claimUnits({ holdId: "h1", qty: 5, expiresAt: later(60_000), max: 5 });
    const seen = await c.claimUnits({ holdId: "h2", qty: 1, expiresAt: later(60_000), max: 5 });
    if (seen.ok) throw new Error("expected a refusal");
    await c.claimUnits({ holdId: "h1", qty: 5, expiresAt: later(60_000), max: 5 });
    await c.forget(seen.counted);
    expect((await c.claimUnits({ holdId: "h2", qty: 1, expiresAt: later(60_000), max: 5 })).ok).toBe(false);
    await c.releaseUnits("h1");
    expect((await c.claimUnits({ holdId: "h2", qty: 5, expiresAt: later(60_000), max: 5 })).ok).toBe(true);
  });
});

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
