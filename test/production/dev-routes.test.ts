import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { newVendorWithToken } from "../support/catalog";
import { devOnlyOperations, KNOWN_DEV_ROUTES, urlOf } from "../support/entries";

describe("the production entry", () => {
  it("mounts none of the development routes, for any role, and does not publish them", async () => {
    const { devOnly, missingFromDev } = await devOnlyOperations();
    expect(missingFromDev).toEqual([]);
    expect(devOnly.map((op) => `${op.method} ${op.path}`)).toEqual(expect.arrayContaining(KNOWN_DEV_ROUTES));

    const published = (await api("GET", "/v1/openapi.json")).body.paths as Record<string, Record<string, unknown>>;
    const roles: Record<string, string | undefined> = {
      anonymous: undefined,
      customer: (await newCustomer()).token,
      vendor: (await newVendorWithToken()).token,
      ops: await tokenFor("ops"),
      admin: ADMIN,
    };
    for (const op of devOnly) {
      const route = `${op.method} ${op.path}`;
      expect(published[op.path]?.[op.method.toLowerCase()], route).toBeUndefined();
      for (const [role, token] of Object.entries(roles)) {
        const r = await api(op.method, urlOf(op), {
          ...(token ? { token } : {}),
          ...(op.method === "GET" ? {} : { body: {} }),
        });
        expect([r.status, r.body?.code], `${route} as ${role}`).toEqual([404, "NOT_FOUND"]);
        expect(r.headers.get("content-type")).toContain("application/problem+json");
      }
    }
  });

  it("runs a job at the current time only: a moved clock is refused", async () => {
    const moved = await api("POST", "/v1/admin/jobs/audit-invariants/run", {
      token: ADMIN,
      body: { now: "2030-01-01T00:00:00Z" },
    });
    expect(moved.status).toBe(422);
    expect(moved.headers.get("content-type")).toContain("application/problem+json");
    expect(moved.body.code).toBe("VALIDATION_FAILED");

    for (const body of [{}, undefined]) {
      const run = await api("POST", "/v1/admin/jobs/audit-invariants/run", { token: ADMIN, body });
      expect(run.status).toBe(200);
      expect(Math.abs(Date.parse(run.body.now) - Date.now())).toBeLessThan(60_000);
    }
  });
});
