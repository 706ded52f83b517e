import { describe, expect, it } from "vitest";
import { api, newCustomer, uid } from "../support/api";
import { uncachedTokens } from "../support/tokens";

type Seeded = { token: string; customerId: string | null; live: boolean };

/** `perCustomer` uncached tokens for each customer, every `revokedEvery`th one revoked. */
async function seedTokens(customers: string[], perCustomer: number, revokedEvery: number): Promise<Seeded[]> {
  const specs = customers.flatMap((customerId, c) =>
    Array.from({ length: perCustomer }, (_, i) => ({
      customerId,
      revoked: (c * perCustomer + i) % revokedEvery === 0,
    })),
  );
  const made = await uncachedTokens(specs);
  return specs.map((s, i) => ({ token: made[i]!.token, customerId: s.customerId, live: !s.revoked }));
}

describe("token lookups in a rush of unseen tokens", () => {
  it("answers every request as its own token, whichever lookup it shared", async () => {
    const customers = await Promise.all(Array.from({ length: 30 }, () => newCustomer()));
    // More than one shared read takes (256), so the rush spans several.
    const seeded = await seedTokens(
      customers.map((c) => c.customerId),
      10,
      13,
    );
    const unknown: Seeded[] = Array.from({ length: 12 }, () => ({
      token: `oms_${uid("none")}`,
      customerId: null,
      live: false,
    }));
    const all = [...seeded, ...unknown];
    expect(all.length).toBeGreaterThan(256);

    const answers = await Promise.all(all.map((s) => api("GET", "/v1/me", { token: s.token })));
    answers.forEach((r, i) => {
      const s = all[i]!;
      if (s.live) {
        expect(r.status).toBe(200);
        expect(r.body).toEqual({ role: "customer", customerId: s.customerId, currency: "INR" });
      } else {
        expect(r.status).toBe(401);
        expect(r.body.code).toBe("UNAUTHENTICATED");
      }
    });
    expect(seeded.filter((s) => !s.live).length).toBeGreaterThan(20);
  });
});
