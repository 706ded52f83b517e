import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/domain/crypto";
import { api, newCustomer, uid } from "../support/api";

type Seeded = { token: string; customerId: string | null; live: boolean };

/**
 * Tokens written straight to D1, so no isolate has them cached: each request that carries one
 * reads it, as in a rush of shoppers the isolate has not seen.
 */
async function seedTokens(customers: string[], perCustomer: number, revokedEvery: number): Promise<Seeded[]> {
  const now = new Date().toISOString();
  const seeded: Seeded[] = [];
  const rows: D1PreparedStatement[] = [];
  for (const [c, customerId] of customers.entries()) {
    for (let i = 0; i < perCustomer; i++) {
      const token = `oms_${uid("cold")}`;
      const revoked = (c * perCustomer + i) % revokedEvery === 0;
      seeded.push({ token, customerId, live: !revoked });
      rows.push(
        env.DB.prepare(
          `insert into api_tokens (id, token_hash, role, customer_id, created_at, revoked_at, expires_at)
           values (?, ?, 'customer', ?, ?, ?, null)`,
        ).bind(uid("tok_"), await sha256Hex(token), customerId, now, revoked ? now : null),
      );
    }
  }
  await env.DB.batch(rows);
  return seeded;
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
        expect(r.body).toEqual({ role: "customer", customerId: s.customerId });
      } else {
        expect(r.status).toBe(401);
        expect(r.body.code).toBe("UNAUTHENTICATED");
      }
    });
    expect(seeded.filter((s) => !s.live).length).toBeGreaterThan(20);
  });
});
