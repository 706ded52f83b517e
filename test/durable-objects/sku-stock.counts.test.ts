import { env, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SkuStock } from "../../durable-objects/sku-stock";
import type { StockCount } from "../../durable-objects/sku-stock-rpc";
import { ADDRESS_UNPAID, migrate } from "../../durable-objects/sku-stock-storage";
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

describe("SkuStock storage migration", () => {
  it("gives levels stored before on-hand versions version 1", async () => {
    const s = await stocked([4, 6]);
    const rows = await runInDurableObject(s.stub, (_o: SkuStock, state) => {
      const sql = state.storage.sql;
      // Back to the first schema, as an object created before versions would be.
      sql.exec("ALTER TABLE stock DROP COLUMN version");
      sql.exec("DROP INDEX ledger_movements");
      sql.exec("ALTER TABLE ledger DROP COLUMN counted_at");
      sql.exec("DROP INDEX holds_address_unpaid");
      sql.exec("ALTER TABLE holds DROP COLUMN client_address");
      sql.exec("DELETE FROM schema_version WHERE version > 1");
      migrate(state.storage);
      return sql.exec<{ version: number }>("SELECT version FROM stock ORDER BY warehouse_id").toArray();
    });
    expect(rows).toEqual([{ version: 1 }, { version: 1 }]);
    expect((await count(s, [{ warehouseId: s.whs[0]!, onHand: 5, expectedVersion: 1 }])).ok).toBe(true);
  });

  it("sums an address's unpaid units from its entries of a covering index, not the holds table", async () => {
    const s = await stocked([4]);
    const plan = await runInDurableObject(s.stub, (_o: SkuStock, state) =>
      state.storage.sql
        .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${ADDRESS_UNPAID}`, "10.0.0.1", Date.now(), "hold_x")
        .toArray()
        .map((r) => r.detail)
        .join("\n"),
    );
    expect(plan).toContain(
      "SEARCH holds USING COVERING INDEX holds_address_unpaid (client_address=? AND expires_at>?)",
    );
  });
});
