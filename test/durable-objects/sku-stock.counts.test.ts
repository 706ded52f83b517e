import { env, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SkuStock } from "../../durable-objects/sku-stock";
import type { StockCount } from "../../durable-objects/sku-stock-rpc";
import {
  ADDRESS_UNPAID,
  COUNTED_AT_OR_SINCE,
  COUNTED_SINCE,
  MOVED_SINCE,
  migrate,
} from "../../durable-objects/sku-stock-storage";
import { uid } from "../support/api";
import { insertCatalog } from "../support/catalog-rows";

const HOUR = 3600_000;

/** Catalog rows in D1 (so the object's mirror lands quietly) and a level per warehouse; `spare` have none yet. */
async function stocked(levels: number[], spareCount = 0) {
  const [vendorId, skuId] = [uid("ven"), uid("sku")];
  const all = Array.from({ length: levels.length + spareCount }, () => uid("wh"));
  await insertCatalog(vendorId, skuId, all);
  const whs = all.slice(0, levels.length);
  const stub = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId));
  const counts = levels.map((onHand, i) => ({ warehouseId: whs[i]!, onHand }));
  expect((await stub.setOnHand({ skuId, counts, reason: "count", actor: "t" })).ok).toBe(true);
  return { skuId, whs, spare: all.slice(levels.length), stub };
}

type Stocked = Awaited<ReturnType<typeof stocked>>;

const count = (s: Stocked, counts: StockCount[]) =>
  s.stub.setOnHand({ skuId: s.skuId, counts, reason: "count", actor: "t" });

async function versions(s: Stocked): Promise<number[]> {
  const snap = await s.stub.snapshot();
  return s.whs.map((wh) => snap.warehouses.find((w) => w.warehouseId === wh)?.version ?? 0);
}

const hold = (s: Stocked, qty = 1, warehouses = s.whs) =>
  s.stub.reserve({ skuId: s.skuId, holdId: uid("h"), qty, warehouses, expiresAt: Date.now() + HOUR });

async function expectEquation(s: Stocked) {
  for (const w of (await s.stub.snapshot()).warehouses) {
    expect(w.onHand).toBe(w.available + w.held + w.committed);
    expect(Math.min(w.onHand, w.available, w.held, w.committed)).toBeGreaterThanOrEqual(0);
  }
}

describe("SkuStock on-hand versions", () => {
  it("start at 1, move with counts, adjustments and shipments, never with holds, commits or releases", async () => {
    const s = await stocked([10]);
    expect(await versions(s)).toEqual([1]);

    const a = await hold(s, 2);
    const b = await hold(s, 3);
    if (!a.ok || !b.ok) throw new Error("reserve failed");
    await s.stub.commit(b.holdId);
    await s.stub.release(a.holdId, "test");
    const moved = await s.stub.reallocate({
      skuId: s.skuId,
      holdId: b.holdId,
      take: [{ warehouseId: s.whs[0]!, qty: 1 }],
      status: "committed",
      expiresAt: Date.now() + HOUR,
      reason: "test",
      actor: "t",
      key: uid("k"),
    });
    expect(moved.ok).toBe(true);
    expect(await versions(s)).toEqual([1]);

    await s.stub.adjust({ skuId: s.skuId, warehouseId: s.whs[0]!, delta: 5, reason: "restock", actor: "t" });
    expect(await versions(s)).toEqual([2]);
    await s.stub.adjust({ skuId: s.skuId, warehouseId: s.whs[0]!, delta: 1, reason: "return", actor: "t" });
    expect(await versions(s)).toEqual([3]);
    expect((await s.stub.ship(b.holdId)).ok).toBe(true);
    expect(await versions(s)).toEqual([4]);
    expect((await count(s, [{ warehouseId: s.whs[0]!, onHand: 20, expectedVersion: 4 }])).ok).toBe(true);
    expect(await versions(s)).toEqual([5]);
    await expectEquation(s);
  });

  it("refuses a stale count across every warehouse of the call and changes nothing", async () => {
    const s = await stocked([10, 10]);
    const [w1, w2] = s.whs as [string, string];
    const before = await versions(s);
    await s.stub.adjust({ skuId: s.skuId, warehouseId: w2, delta: 4, reason: "restock", actor: "t" });
    const snapBefore = await s.stub.snapshot();
    const ledgerBefore = await s.stub.ledger(100);

    const r = await count(s, [
      { warehouseId: w1, onHand: 7, expectedVersion: before[0] },
      { warehouseId: w2, onHand: 7, expectedVersion: before[1] },
    ]);
    // The refusal carries the levels to count again against; nothing moved, not even the object version.
    expect(r).toEqual({
      ok: false,
      code: "STALE_COUNT",
      stale: [{ warehouseId: w2, expectedVersion: 1, version: 2 }],
      snapshot: snapBefore,
    });
    expect(await s.stub.snapshot()).toEqual(snapBefore);
    expect(await s.stub.ledger(100)).toEqual(ledgerBefore);

    const fresh = await count(s, [
      { warehouseId: w1, onHand: 7, expectedVersion: 1 },
      { warehouseId: w2, onHand: 7, expectedVersion: 2 },
    ]);
    expect(fresh.ok).toBe(true);
    expect(await versions(s)).toEqual([2, 3]);
    expect((await s.stub.snapshot()).totals.onHand).toBe(14);
  });

  it("requires a version once a level exists; a new level needs none, or version 0", async () => {
    const s = await stocked([5], 2);
    const [w1] = s.whs as [string];
    const none = await count(s, [{ warehouseId: w1, onHand: 9 }]);
    expect(none).toMatchObject({
      ok: false,
      code: "COUNT_VERSION_REQUIRED",
      stale: [{ warehouseId: w1, expectedVersion: null, version: 1 }],
    });
    // Version 0 claims "no level yet": wrong for an existing one.
    expect(await count(s, [{ warehouseId: w1, onHand: 9, expectedVersion: 0 }])).toMatchObject({
      ok: false,
      code: "STALE_COUNT",
    });
    const [w2, w3] = s.spare as [string, string];
    expect((await count(s, [{ warehouseId: w2, onHand: 2 }])).ok).toBe(true);
    expect((await count(s, [{ warehouseId: w3, onHand: 3, expectedVersion: 0 }])).ok).toBe(true);
    // Someone else created it meanwhile: a second "new level" count of it is stale.
    expect(await count(s, [{ warehouseId: w3, onHand: 4, expectedVersion: 0 }])).toMatchObject({
      ok: false,
      code: "STALE_COUNT",
      stale: [{ warehouseId: w3, expectedVersion: 0, version: 1 }],
    });
    expect((await s.stub.snapshot()).totals.onHand).toBe(10);
  });

  it("checks every minimum before writing: one count below what is held applies none", async () => {
    const s = await stocked([10, 10]);
    const [w1, w2] = s.whs as [string, string];
    expect((await hold(s, 6, [w2])).ok).toBe(true);
    const r = await count(s, [
      { warehouseId: w1, onHand: 1, expectedVersion: 1 },
      { warehouseId: w2, onHand: 5, expectedVersion: 1 },
    ]);
    expect(r).toEqual({ ok: false, code: "STOCK_BELOW_RESERVED", warehouseId: w2, minimum: 6 });
    expect((await s.stub.snapshot()).totals).toEqual({ onHand: 20, available: 14, held: 6, committed: 0 });
    expect(await versions(s)).toEqual([1, 1]);
  });

  it("lets exactly one of many counts against the same version apply while holds are taken", async () => {
    const s = await stocked([100, 100]);
    const [w1, w2] = s.whs as [string, string];
    const [v1, v2] = await versions(s);
    const claims = Array.from({ length: 60 }, () => hold(s, 1));
    const counts = Array.from({ length: 8 }, (_, i) =>
      count(s, [
        { warehouseId: w1, onHand: 150 + i, expectedVersion: v1 },
        { warehouseId: w2, onHand: 150 + i, expectedVersion: v2 },
      ]),
    );
    const [held, counted] = await Promise.all([Promise.all(claims), Promise.all(counts)]);
    expect(held.every((r) => r.ok)).toBe(true);
    const applied = counted.filter((r) => r.ok);
    expect(applied).toHaveLength(1);
    for (const r of counted) if (!r.ok) expect(r.code).toBe("STALE_COUNT");
    const snap = await s.stub.snapshot();
    const won = applied[0]!.snapshot.warehouses.find((w) => w.warehouseId === w1)!.onHand;
    expect(snap.warehouses.map((w) => w.onHand)).toEqual([won, won]);
    expect(snap.totals.held).toBe(60);
    expect(await versions(s)).toEqual([v1! + 1, v2! + 1]);
    await expectEquation(s);
  });

  it("makes a count against the version before a concurrent restock stale, whichever lands first", async () => {
    const s = await stocked([10]);
    const [w1] = s.whs as [string];
    const [v] = await versions(s);
    const [restock, stale] = await Promise.all([
      s.stub.adjust({ skuId: s.skuId, warehouseId: w1, delta: 5, reason: "restock", actor: "t" }),
      count(s, [{ warehouseId: w1, onHand: 3, expectedVersion: v }]),
    ]);
    expect(restock.ok).toBe(true);
    // Either the count landed first (then the restock applies on top of it) or it is refused:
    // never does a count silently erase a restock it did not see.
    const onHand = (await s.stub.snapshot()).totals.onHand;
    expect(stale.ok ? onHand === 8 : onHand === 15).toBe(true);
    await expectEquation(s);
  });
});

type Op =
  | { kind: "hold"; w: number; qty: number }
  | { kind: "commit" | "ship" | "release"; h: number }
  | { kind: "adjust"; w: number; delta: number }
  /** `lag` counts back through the versions this warehouse has had: 0 is the current one. */
  | { kind: "count"; w: number; onHand: number; lag: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("hold" as const), w: fc.nat(1), qty: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constantFrom("commit" as const, "ship" as const, "release" as const), h: fc.nat(9) }),
  fc.record({ kind: fc.constant("adjust" as const), w: fc.nat(1), delta: fc.integer({ min: -3, max: 5 }) }),
  fc.record({ kind: fc.constant("count" as const), w: fc.nat(1), onHand: fc.nat(30), lag: fc.nat(2) }),
);

describe("SkuStock on-hand versions, property", () => {
  it("move exactly when on hand changes, refuse stale counts whole, and keep on_hand = available + held + committed", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 20 }), async (ops) => {
        const s = await stocked([10, 10]);
        const seen = s.whs.map(() => [1]);
        const holds: string[] = [];
        for (const op of ops) {
          const before = await s.stub.snapshot();
          const levelBefore = (w: number) => before.warehouses.find((l) => l.warehouseId === s.whs[w])!;
          let ok: boolean;
          if (op.kind === "hold") {
            const r = await hold(s, op.qty, [s.whs[op.w]!]);
            if (r.ok) holds.push(r.holdId);
            ok = r.ok;
          } else if (op.kind === "adjust") {
            if (op.delta === 0) continue;
            const input = { skuId: s.skuId, warehouseId: s.whs[op.w]!, delta: op.delta, reason: "restock" as const };
            ok = (await s.stub.adjust({ ...input, actor: "t" })).ok;
          } else if (op.kind === "count") {
            const versions = seen[op.w]!;
            const expectedVersion = versions[Math.max(0, versions.length - 1 - op.lag)]!;
            const r = await count(s, [{ warehouseId: s.whs[op.w]!, onHand: op.onHand, expectedVersion }]);
            ok = r.ok;
            if (expectedVersion !== levelBefore(op.w).version) expect(r).toMatchObject({ code: "STALE_COUNT" });
          } else {
            const holdId = holds[op.h % Math.max(1, holds.length)];
            if (holdId === undefined) continue;
            ok = (await (op.kind === "release" ? s.stub.release(holdId, "t") : s.stub[op.kind](holdId))).ok;
          }
          const after = await s.stub.snapshot();
          if (!ok) expect(after).toEqual(before);
          for (const [w, wh] of s.whs.entries()) {
            const [b, a] = [levelBefore(w), after.warehouses.find((l) => l.warehouseId === wh)!];
            expect(a.onHand).toBe(a.available + a.held + a.committed);
            expect(Math.min(a.onHand, a.available, a.held, a.committed)).toBeGreaterThanOrEqual(0);
            // Counts, adjustments and shipments move the version; holds, commits and releases never do.
            const touched = ok && (op.kind === "ship" || ("w" in op && op.w === w && op.kind !== "hold"));
            if (a.onHand !== b.onHand) expect(touched).toBe(true);
            expect(a.version).toBe(
              touched && (op.kind !== "ship" || a.onHand !== b.onHand) ? b.version + 1 : b.version,
            );
            if (a.version !== b.version) seen[w]!.push(a.version);
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});

/** Back to the schema before the kept address count: its table and the triggers that keep it. */
function dropAddressCount(sql: SqlStorage) {
  for (const trigger of ["address_units_insert", "address_units_delete", "address_units_update"]) {
    sql.exec(`DROP TRIGGER ${trigger}`);
  }
  sql.exec("DROP TABLE address_units");
}

describe("SkuStock storage migration", () => {
  it("gives levels stored before on-hand versions version 1", async () => {
    const s = await stocked([4, 6]);
    const rows = await runInDurableObject(s.stub, (_o: SkuStock, state) => {
      const sql = state.storage.sql;
      // Back to the first schema, as an object created before versions would be.
      sql.exec("ALTER TABLE stock DROP COLUMN closed_at");
      sql.exec("ALTER TABLE stock DROP COLUMN shortfall");
      sql.exec("ALTER TABLE stock DROP COLUMN version");
      sql.exec("DROP INDEX ledger_counts");
      sql.exec("DROP INDEX ledger_moves");
      sql.exec("ALTER TABLE ledger DROP COLUMN counted_at");
      dropAddressCount(sql);
      sql.exec("DROP INDEX holds_address_unpaid");
      sql.exec("ALTER TABLE holds DROP COLUMN client_address");
      sql.exec("DELETE FROM schema_version WHERE version > 1");
      migrate(state.storage);
      return sql.exec<{ version: number }>("SELECT version FROM stock ORDER BY warehouse_id").toArray();
    });
    expect(rows).toEqual([{ version: 1 }, { version: 1 }]);
    expect((await count(s, [{ warehouseId: s.whs[0]!, onHand: 5, expectedVersion: 1 }])).ok).toBe(true);
  });

  it("counts the unpaid units of holds stored before the kept count", async () => {
    const s = await stocked([20, 20]);
    const [a, b] = [uid("addr-"), uid("addr-")];
    const claim = (clientAddress: string, qty: number) =>
      s.stub.reserve({
        skuId: s.skuId,
        holdId: uid("h"),
        qty,
        warehouses: s.whs,
        expiresAt: Date.now() + HOUR,
        clientAddress,
      });
    for (const [address, qty] of [
      [a, 3],
      [a, 25],
      [b, 2],
    ] as const)
      expect((await claim(address, qty)).ok).toBe(true);
    const paid = await claim(b, 4);
    if (!paid.ok) throw new Error("reserve failed");
    await s.stub.commit(paid.holdId);
    const counted = await runInDurableObject(s.stub, (_o: SkuStock, state) => {
      const sql = state.storage.sql;
      // Back to the schema before the kept count, with these holds in it.
      dropAddressCount(sql);
      sql.exec("ALTER TABLE stock DROP COLUMN closed_at");
      sql.exec("ALTER TABLE stock DROP COLUMN shortfall");
      sql.exec("DELETE FROM schema_version WHERE version > 5");
      migrate(state.storage);
      return sql.exec("SELECT client_address, held FROM address_units ORDER BY held").toArray();
    });
    expect(counted).toEqual([
      { client_address: b, held: 2 },
      { client_address: a, held: 28 },
    ]);
  });

  it("reads a count's counts and movements since it was taken without the holds, commits and releases between", async () => {
    const s = await stocked([4]);
    const warehouseId = s.whs[0]!;
    const since = Date.now() - HOUR;
    const reads = await runInDurableObject(s.stub, (_o: SkuStock, state) => {
      const sql = state.storage.sql;
      // A busy hour of claims given back: 4,000 ledger rows in this warehouse, none a count or a move.
      sql.exec(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000)
         INSERT INTO ledger (warehouse_id, kind, qty, on_hand_after, reason, actor, hold_id, at)
         SELECT ?1, CASE i % 2 WHEN 0 THEN 'reserve' ELSE 'release' END, 1, 4, 'checkout', 'system', 'h' || i, ?2 + i
         FROM n`,
        warehouseId,
        since,
      );
      const rowsRead = (query: string, ...params: number[]) => {
        const cursor = sql.exec(query, warehouseId, ...params);
        cursor.toArray();
        return cursor.rowsRead;
      };
      return [
        rowsRead(COUNTED_SINCE, since, since - HOUR),
        rowsRead(COUNTED_AT_OR_SINCE, since, since - HOUR),
        rowsRead(MOVED_SINCE, since),
      ];
    });
    for (const read of reads) expect(read).toBeLessThan(20);
  });

  it("reads an address's unpaid units from its counted row, its lapsed holds and the claim's own hold by key", async () => {
    const s = await stocked([4]);
    const plan = await runInDurableObject(s.stub, (_o: SkuStock, state) =>
      state.storage.sql
        .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${ADDRESS_UNPAID}`, "10.0.0.1", Date.now(), "hold_x")
        .toArray()
        .map((r) => r.detail)
        .join("\n"),
    );
    expect(plan).toMatch(/SEARCH address_units USING PRIMARY KEY \(client_address=\?\)/);
    expect(plan).toContain(
      "SEARCH holds USING COVERING INDEX holds_address_unpaid (client_address=? AND expires_at<?)",
    );
    expect(plan).toMatch(/SEARCH holds USING INDEX sqlite_autoindex_holds_1 \(hold_id=\?\)/);
    expect(plan).not.toMatch(/SCAN (holds|address_units)/);
  });
});

// Every kind of change to a hold, on two addresses and one hold with none: after each, the kept
// count must be what summing the unpaid holds gives, and a claim's view of it what it was before.
const addressOpArb = fc.oneof(
  fc.record({
    kind: fc.constant("hold" as const),
    from: fc.nat(2),
    qty: fc.integer({ min: 1, max: 4 }),
    w: fc.nat(1),
    lapsed: fc.boolean(),
  }),
  fc.record({ kind: fc.constantFrom("commit" as const, "release" as const, "ship" as const), h: fc.nat(20) }),
  fc.record({ kind: fc.constant("take" as const), h: fc.nat(20) }),
  fc.record({ kind: fc.constant("add" as const), h: fc.nat(20), qty: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant("reopen" as const), h: fc.nat(20), qty: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant("alarm" as const) }),
);

describe("SkuStock address counts, property", () => {
  it("keep each address's unpaid units equal to the sum of its unpaid holds through every change", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(addressOpArb, { minLength: 1, maxLength: 25 }), async (ops) => {
        const s = await stocked([30, 30]);
        const addresses = [uid("addr-"), uid("addr-"), undefined];
        const holds: { holdId: string; from: string | undefined }[] = [];
        const pick = (h: number) => holds[h % Math.max(1, holds.length)];
        for (const op of ops) {
          if (op.kind === "hold") {
            const holdId = uid("h");
            const from = addresses[op.from];
            const expiresAt = op.lapsed ? Date.now() - 1 : Date.now() + HOUR;
            const r = await s.stub.reserve({
              skuId: s.skuId,
              holdId,
              qty: op.qty,
              warehouses: [s.whs[op.w]!],
              expiresAt,
              clientAddress: from,
            });
            if (r.ok) holds.push({ holdId, from });
          } else if (op.kind === "alarm") {
            await runInDurableObject(s.stub, (o: SkuStock) => o.alarm());
          } else {
            const hold = pick(op.h);
            if (!hold) continue;
            if (op.kind === "release") await s.stub.release(hold.holdId, "t");
            else if (op.kind === "commit" || op.kind === "ship") await s.stub[op.kind](hold.holdId);
            else if (op.kind === "reopen") {
              // Only a released hold may claim again under its id.
              if ((await s.stub.holdsOf(hold.holdId))[0]?.status !== "released") continue;
              await s.stub.reserve({
                skuId: s.skuId,
                holdId: hold.holdId,
                qty: op.qty,
                warehouses: s.whs,
                expiresAt: Date.now() + HOUR,
                clientAddress: hold.from,
                reopen: true,
              });
            } else {
              const rows = await s.stub.holdsOf(hold.holdId);
              const status = rows[0]?.status === "committed" ? "committed" : "held";
              await s.stub.reallocate({
                skuId: s.skuId,
                holdId: hold.holdId,
                ...(op.kind === "take" && rows[0]
                  ? { take: [{ warehouseId: rows[0].warehouseId, qty: 1 }] }
                  : { add: [{ qty: op.kind === "add" ? op.qty : 1, warehouses: [...s.whs].reverse() }] }),
                status,
                expiresAt: Date.now() + HOUR,
                reason: "t",
                actor: "t",
                key: uid("k"),
              });
            }
          }
          await runInDurableObject(s.stub, (_o: SkuStock, state) => {
            const sql = state.storage.sql;
            const kept = sql.exec("SELECT client_address, held FROM address_units ORDER BY client_address").toArray();
            const summed = sql
              .exec(
                `SELECT client_address, SUM(qty) AS held FROM holds WHERE client_address IS NOT NULL AND status = 'held'
                 GROUP BY client_address ORDER BY client_address`,
              )
              .toArray();
            expect(kept).toEqual(summed);
            const now = Date.now();
            for (const address of addresses.slice(0, 2)) {
              for (const holdId of [uid("h"), ...holds.map((h) => h.holdId)]) {
                const { n } = sql.exec<{ n: number }>(ADDRESS_UNPAID, address!, now, holdId).one();
                const direct =
                  sql
                    .exec<{ n: number | null }>(
                      "SELECT SUM(qty) AS n FROM holds WHERE client_address = ? AND status = 'held' AND expires_at > ? AND hold_id <> ?",
                      address!,
                      now,
                      holdId,
                    )
                    .one().n ?? 0;
                expect(n).toBe(direct);
              }
            }
          });
        }
      }),
      { numRuns: 25 },
    );
  });
});
