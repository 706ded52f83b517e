import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client";
import { findPrincipalByTokenHash } from "../../src/db/tokens";
import { sha256Hex } from "../../src/domain/crypto";
import { newCustomer, uid } from "../support/api";

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
    const tokens: { hash: string; customerId: string | null; live: boolean }[] = [];
    const rows: D1PreparedStatement[] = [];
    for (let i = 0; i < 300; i++) {
      const customerId = customers[i % customers.length]!.customerId;
      const hash = await sha256Hex(`oms_${uid("rush")}`);
      const revoked = i % 17 === 0;
      tokens.push({ hash, customerId, live: !revoked });
      rows.push(
        env.DB.prepare(
          `insert into api_tokens (id, token_hash, role, customer_id, created_at, revoked_at, expires_at)
           values (?, ?, 'customer', ?, ?, ?, null)`,
        ).bind(uid("tok_"), hash, customerId, now.toISOString(), revoked ? now.toISOString() : null),
      );
    }
    await env.DB.batch(rows);
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
