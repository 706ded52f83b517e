import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client";
import { findPrincipalByTokenHash } from "../../src/db/tokens";
import { sha256Hex } from "../../src/domain/crypto";
import { newCustomer, uid } from "../support/api";
import { uncachedTokens } from "../support/tokens";

/** The real D1 binding, with the token hashes each statement was sent for recorded. */
function recordedDb() {
  const sent: number[] = [];
  const d1 = {
    prepare: (sql: string) => {
      const statement = env.DB.prepare(sql);
      return {
        bind: (...values: unknown[]) => {
          sent.push(sql.includes("json_each") ? (JSON.parse(values[0] as string) as unknown[]).length : 1);
          return statement.bind(...values);
        },
      };
    },
  } as unknown as D1Database;
  return { db: { $client: d1 } as unknown as Db, sent };
}

describe("token lookups waiting at the same moment", () => {
  it("share statements, at most 256 tokens each, and each caller gets its own token's principal", async () => {
    const customers = await Promise.all(Array.from({ length: 6 }, () => newCustomer()));
    const now = new Date();
    const specs = Array.from({ length: 300 }, (_, i) => ({
      customerId: customers[i % customers.length]!.customerId,
      revoked: i % 17 === 0,
    }));
    const made = await uncachedTokens(specs);
    const tokens: { hash: string; customerId: string | null; live: boolean }[] = specs.map((s, i) => ({
      hash: made[i]!.hash,
      customerId: s.customerId,
      live: !s.revoked,
    }));
    for (let i = 0; i < 20; i++) tokens.push({ hash: await sha256Hex(uid("unknown")), customerId: null, live: false });

    const { db, sent } = recordedDb();
    const found = await Promise.all(tokens.map((t) => findPrincipalByTokenHash(db, t.hash, now)));
    found.forEach((principal, i) => {
      const t = tokens[i]!;
      if (t.live) expect(principal).toMatchObject({ role: "customer", customerId: t.customerId });
      else expect(principal).toBeNull();
    });
    expect(sent.reduce((n, k) => n + k, 0)).toBe(tokens.length);
    expect(Math.max(...sent)).toBeLessThanOrEqual(256);
    expect(sent.length).toBeLessThan(tokens.length / 10);
  });
});
