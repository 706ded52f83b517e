import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cancelExpiredOrder } from "../../src/cancellation/order-cancellation";
import { type Db, database } from "../../src/db/client";
import { endedTokens, findPrincipalByTokenHash } from "../../src/db/tokens";
import { sha256Hex } from "../../src/domain/crypto";
import { systemActor } from "../../src/domain/principal";
import { isoSeconds } from "../../src/domain/time";
import { newCustomer, uid } from "../support/api";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";
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

describe("the tokens a live feed re-checks", () => {
  it("are read in one statement however many, and end by the rule the API accepts tokens by", async () => {
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const ordered = await newCustomer();
    expect((await checkout(ordered.token, [{ skuId: sku.skuId, qty: 1 }])).status).toBe(201);
    const idle = await newCustomer();
    const now = new Date();
    const past = isoSeconds(now.getTime() - 3600_000);
    const future = isoSeconds(now.getTime() + 3600_000);
    const kinds = [
      { role: "ops", customerId: null, expiresAt: null, revoked: false, ends: undefined },
      { role: "ops", customerId: null, expiresAt: future, revoked: true, ends: "revoked" },
      { role: "ops", customerId: null, expiresAt: past, revoked: false, ends: "expired" },
      { role: "customer", customerId: idle.customerId, expiresAt: future, revoked: false, ends: undefined },
      { role: "customer", customerId: idle.customerId, expiresAt: past, revoked: false, ends: "expired" },
      // A guest's open order keeps its token past the expiry.
      { role: "customer", customerId: ordered.customerId, expiresAt: past, revoked: false, ends: undefined },
      { role: "customer", customerId: ordered.customerId, expiresAt: past, revoked: true, ends: "revoked" },
    ] as const;
    const tokens = await Promise.all(
      Array.from({ length: 150 }, async (_, i) => {
        const token = uid("feedcheck-");
        return { id: uid("tok_"), token, hash: await sha256Hex(token), ...kinds[i % kinds.length]! };
      }),
    );
    await env.DB.batch(
      tokens.map((t) =>
        env.DB.prepare(
          `insert into api_tokens (id, token_hash, role, customer_id, created_at, revoked_at, expires_at)
           values (?, ?, ?, ?, ?, ?, ?)`,
        ).bind(t.id, t.hash, t.role, t.customerId, isoSeconds(now), t.revoked ? isoSeconds(now) : null, t.expiresAt),
      ),
    );

    let statements = 0;
    const counted = database({
      DB: {
        prepare: (query: string) => {
          statements += 1;
          return env.DB.prepare(query);
        },
      } as D1Database,
    });
    const ended = await endedTokens(counted, [...tokens.map((t) => t.id), uid("tok_")], now);
    expect(statements).toBe(1);
    expect(ended).toEqual(new Map(tokens.flatMap((t) => (t.ends ? [[t.id, t.ends]] : []))));
    // Exactly the tokens the API refuses at the same moment.
    for (const t of tokens.slice(0, kinds.length)) {
      expect(await findPrincipalByTokenHash(database(env), t.hash, now)).toEqual(
        ended.has(t.id) ? null : expect.objectContaining({ tokenId: t.id }),
      );
    }
  });
});

describe("a guest's token past its day", () => {
  it("is kept by an order it paid for, closed since, and not by one it abandoned unpaid", async () => {
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const now = new Date();
    const past = isoSeconds(now.getTime() - 3600_000);
    const guests = [];
    for (const paid of [true, false]) {
      const guest = await newCustomer();
      const placed = await checkout(guest.token, [{ skuId: sku.skuId, qty: 1 }]);
      expect(placed.status).toBe(201);
      // Closed an hour ago: cancelled after payment (refunded), or lapsed unpaid.
      await env.DB.prepare("update orders set status = 'cancelled', paid_at = ?, updated_at = ? where id = ?")
        .bind(paid ? past : null, past, placed.body.order.id)
        .run();
      const token = uid("guest-");
      const id = uid("tok_");
      await env.DB.prepare(
        `insert into api_tokens (id, token_hash, role, customer_id, created_at, expires_at)
         values (?, ?, 'customer', ?, ?, ?)`,
      )
        .bind(id, await sha256Hex(token), guest.customerId, past, past)
        .run();
      guests.push({ paid, id, hash: await sha256Hex(token) });
    }
    const [kept, abandoned] = guests as [(typeof guests)[0], (typeof guests)[0]];
    expect(await findPrincipalByTokenHash(database(env), kept.hash, now)).toMatchObject({ tokenId: kept.id });
    expect(await findPrincipalByTokenHash(database(env), abandoned.hash, now)).toBeNull();
    expect(await endedTokens(database(env), [kept.id, abandoned.id], now)).toEqual(
      new Map([[abandoned.id, "expired"]]),
    );
  });

  it("is kept by a payment that came after its hold and was refunded, and not by one that failed", async () => {
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const late = await newCustomer();
    const placed = await checkout(late.token, [{ skuId: sku.skuId, qty: 1 }]);
    expect(placed.status).toBe(201);
    // Its hold lapses and a rival takes the stock: the payment that lands then is refunded in full.
    const stock = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(sku.skuId));
    await runInDurableObject(stock, (_instance, state) => {
      state.storage.sql.exec("update holds set expires_at = 0 where status = 'held'");
    });
    await runDurableObjectAlarm(stock);
    const rival = await newCustomer();
    expect((await checkout(rival.token, [{ skuId: sku.skuId, qty: 1 }])).status).toBe(201);
    const paid = await pay(late.token, placed.body.payment.id);
    expect(paid.body).toMatchObject({ status: "cancelled", paymentStatus: "refunded" });

    const failed = await newCustomer();
    const other = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const unpaid = await checkout(failed.token, [{ skuId: other.skuId, qty: 1 }]);
    expect((await pay(failed.token, unpaid.body.payment.id, "failed")).status).toBe(200);
    const lapsed = await cancelExpiredOrder(env, undefined, {
      orderId: unpaid.body.order.id,
      reason: "hold_expired",
      actor: systemActor("expire-holds"),
      now: new Date(),
    });
    expect(lapsed).toMatchObject({ ok: true });

    // Two days on: both sign-up tokens are past their day, both orders closed a day ago or more.
    const later = new Date(Date.now() + 2 * 24 * 3600_000);
    const [kept, dropped] = await Promise.all(
      [late, failed].map(async (g) => {
        const row = await env.DB.prepare("select id from api_tokens where token_hash = ?")
          .bind(await sha256Hex(g.token))
          .first<{ id: string }>();
        return { id: row!.id, hash: await sha256Hex(g.token) };
      }),
    );
    expect(await findPrincipalByTokenHash(database(env), kept!.hash, later)).toMatchObject({
      role: "customer",
      customerId: late.customerId,
    });
    expect(await findPrincipalByTokenHash(database(env), dropped!.hash, later)).toBeNull();
    expect(await endedTokens(database(env), [kept!.id, dropped!.id], later)).toEqual(
      new Map([[dropped!.id, "expired"]]),
    );
  });
});
