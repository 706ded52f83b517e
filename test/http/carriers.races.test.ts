import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, uid } from "../support/api";
import { afterFirstRead, apiWith } from "../support/bindings";

const put = (code: string, body: unknown) => api("PUT", `/v1/carriers/${code}`, { token: ADMIN, body });

/** The bindings with `meanwhile` run once, right after the route has read the carrier and before it writes. */
const afterCarrierRead = (meanwhile: () => Promise<unknown>) =>
  afterFirstRead(/^select .* from "carriers" where "carriers"."code" = \?/, meanwhile);

const putWith = (bindings: Env, code: string, body: unknown) =>
  apiWith(bindings, "PUT", `/v1/carriers/${code}`, ADMIN, body);

const carrierRow = (code: string) =>
  env.DB.prepare(
    "select name, awb_pattern as awbPattern, awb_example as awbExample, active from carriers where code = ?",
  )
    .bind(code)
    .first<{ name: string; awbPattern: string; awbExample: string; active: number }>();

describe("a carrier's AWB pattern", () => {
  it("is refused when matching a 40-character AWB against it could backtrack for seconds", async () => {
    const code = uid("evil").toLowerCase();
    const r = await put(code, { name: "Evil", awbPattern: "(\\d+)+X", awbExample: "1X" });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([
      { path: "awbPattern", message: "too costly to match: a repeated group may not hold |, *, +, ? or {m,n}" },
    ]);
    expect(await carrierRow(code)).toBeNull();
  });

  it("saved before the rule, does not stop its carrier being renamed or switched off", async () => {
    const code = uid("old").toLowerCase();
    await env.DB.prepare(
      "insert into carriers (code, name, awb_pattern, awb_example, active) values (?, 'Old', '(\\d+)+X', '1X', 1)",
    )
      .bind(code)
      .run();
    const off = await put(code, { active: false, name: "Old (retired)" });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(off.body).toMatchObject({ active: false, name: "Old (retired)", awbPattern: "(\\d+)+X" });
    // Sent again as it is, the pattern is no change either; a new costly one is still refused.
    expect((await put(code, { awbPattern: "(\\d+)+X" })).status).toBe(200);
    expect((await put(code, { awbPattern: "(\\d*)+X" })).status).toBe(422);
  });

  it("still accepts every seeded carrier's pattern", async () => {
    // The migrations' carriers, not this file's own.
    const seeded = (await api("GET", "/v1/carriers", { token: ADMIN })).body.items.filter(
      (c: { code: string }) => !c.code.startsWith("old") && !c.code.startsWith("evil"),
    );
    expect(seeded.length).toBeGreaterThanOrEqual(5);
    for (const c of seeded) {
      const r = await put(c.code, { awbPattern: c.awbPattern, awbExample: c.awbExample });
      expect({ code: c.code, status: r.status }).toEqual({ code: c.code, status: 200 });
    }
  });
});

describe("two admins editing one carrier at once", () => {
  it("the edit that read the carrier before the other's landed is 409 and undoes nothing", async () => {
    const code = uid("race").toLowerCase();
    expect((await put(code, { name: "Race", awbPattern: "^RC[0-9]{6}$", awbExample: "RC123456" })).status).toBe(201);

    // Admin A switches the carrier off between admin B's read and B's write.
    const switchedOff = afterCarrierRead(() => put(code, { active: false }));
    const b = await putWith(switchedOff, code, { awbPattern: "^RC[0-9]{8}$", awbExample: "RC12345678" });
    expect(b.status).toBe(409);
    expect(b.body.code).toBe("CONFLICT");
    expect(await carrierRow(code)).toEqual({
      name: "Race",
      awbPattern: "^RC[0-9]{6}$",
      awbExample: "RC123456",
      active: 0,
    });

    // B again, now reading what A wrote: the pattern changes and the carrier stays off.
    const again = await put(code, { awbPattern: "^RC[0-9]{8}$", awbExample: "RC12345678" });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ awbPattern: "^RC[0-9]{8}$", active: false });
  });

  it("of two adding one new code, the one that found it absent before the other added it is 409", async () => {
    const code = uid("new").toLowerCase();
    const addedMeanwhile = afterCarrierRead(() =>
      put(code, { name: "First", awbPattern: "^FS[0-9]{6}$", awbExample: "FS123456" }),
    );
    const second = await putWith(addedMeanwhile, code, {
      name: "Second",
      awbPattern: "^SC[0-9]{6}$",
      awbExample: "SC123456",
    });
    expect(second.status).toBe(409);
    expect(await carrierRow(code)).toMatchObject({ name: "First", awbPattern: "^FS[0-9]{6}$", active: 1 });
  });
});
