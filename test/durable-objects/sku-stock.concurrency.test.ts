import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SkuStock } from "../../durable-objects/sku-stock";
import type { ReserveResult } from "../../durable-objects/sku-stock-rpc";
import { uid } from "../support/api";
import { insertCatalog } from "../support/catalog-rows";

async function stockedSku(levels: number[]) {
  const vendorId = uid("ven");
  const skuId = uid("sku");
  const whs = levels.map(() => uid("wh"));
  await insertCatalog(vendorId, skuId, whs);
  const stub = () => env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId));
  for (const [i, onHand] of levels.entries()) {
    await stub().setOnHand({ skuId, counts: [{ warehouseId: whs[i]!, onHand }], reason: "count", actor: "test" });
  }
  return { skuId, whs, stub };
}

type Stored = {
  stock: { warehouse_id: string; on_hand: number; held: number; committed: number }[];
  holds: { warehouse_id: string; status: string; n: number }[];
};

/** The object's own rows, read in place: the replies alone could hide a drift in storage. */
function stored(stub: DurableObjectStub<SkuStock>): Promise<Stored> {
  return runInDurableObject(stub, (_o: SkuStock, state) => ({
    stock: state.storage.sql
      .exec<Stored["stock"][number]>("SELECT warehouse_id, on_hand, held, committed FROM stock")
      .toArray(),
    holds: state.storage.sql
      .exec<Stored["holds"][number]>(
        "SELECT warehouse_id, status, SUM(qty) AS n FROM holds GROUP BY warehouse_id, status",
      )
      .toArray(),
  }));
}

async function expectInvariants(stub: DurableObjectStub<SkuStock>, initial: Map<string, number>) {
  const snap = await stub.snapshot();
  for (const w of snap.warehouses) {
    expect(w.onHand).toBe(w.available + w.held + w.committed);
    expect(Math.min(w.onHand, w.available, w.held, w.committed)).toBeGreaterThanOrEqual(0);
  }
  const { stock, holds } = await stored(stub);
  const units = (wh: string, status: string) => holds.find((h) => h.warehouse_id === wh && h.status === status)?.n ?? 0;
  for (const row of stock) {
    expect(row.on_hand - row.held - row.committed).toBeGreaterThanOrEqual(0);
    // Each column is exactly the sum of the holds in that state; shipped units left on_hand.
    expect(row.held).toBe(units(row.warehouse_id, "held"));
    expect(row.committed).toBe(units(row.warehouse_id, "committed"));
    expect(row.on_hand).toBe(initial.get(row.warehouse_id)! - units(row.warehouse_id, "shipped"));
  }
  return snap;
}

describe("SkuStock under concurrency", () => {
  it("sells exactly 100 of 100 units across 3 warehouses to 500 concurrent one-unit claims", async () => {
    const levels = [40, 35, 25];
    const { skuId, whs, stub } = await stockedSku(levels);
    const initial = new Map(whs.map((wh, i) => [wh, levels[i]!]));
    const expiresAt = Date.now() + 3600_000;
    const rankings = [whs, [...whs].reverse(), [whs[1]!, whs[2]!, whs[0]!]];

    const results: ReserveResult[] = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        stub().reserve({ skuId, holdId: uid("h"), qty: 1, warehouses: rankings[i % 3]!, expiresAt }),
      ),
    );
    const ok = results.filter((r) => r.ok);
    const out = results.filter((r) => !r.ok && r.code === "OUT_OF_STOCK");
    expect(ok).toHaveLength(100);
    expect(out).toHaveLength(400);

    const snap = await expectInvariants(stub(), initial);
    expect(snap.totals).toEqual({ onHand: 100, available: 0, held: 100, committed: 0 });
  });

  it("keeps the invariant through concurrent commits, releases and shipments, and resells exactly what came back", async () => {
    const levels = [40, 30, 20];
    const { skuId, whs, stub } = await stockedSku(levels);
    const initial = new Map(whs.map((wh, i) => [wh, levels[i]!]));
    const expiresAt = Date.now() + 3600_000;
    const holds = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const holdId = uid("h");
        const r = await stub().reserve({ skuId, holdId, qty: 1 + (i % 3), warehouses: whs, expiresAt });
        expect(r.ok).toBe(true);
        return holdId;
      }),
    );

    // Every hold gets a racing mix of calls; each call's own answer must be one of its legal ones.
    await Promise.all(
      holds.map(async (holdId, i) => {
        const s = stub();
        switch (i % 4) {
          case 0:
            await Promise.all([s.commit(holdId), s.commit(holdId)]);
            break;
          case 1:
            await Promise.all([s.release(holdId, "cancel"), s.release(holdId, "cancel")]);
            break;
          case 2: {
            const [c, r] = await Promise.all([s.commit(holdId), s.release(holdId, "cancel")]);
            expect(r.ok).toBe(true);
            expect(c.ok || (!c.ok && c.code === "HOLD_RELEASED")).toBe(true);
            break;
          }
          default: {
            await s.commit(holdId);
            const [a, b, r] = await Promise.all([s.ship(holdId), s.ship(holdId), s.release(holdId, "cancel")]);
            expect(a.ok || b.ok || r.ok).toBe(true);
          }
        }
      }),
    );

    const snap = await expectInvariants(stub(), initial);
    const back = snap.totals.available;
    const results = await Promise.all(
      Array.from({ length: back + 50 }, () =>
        stub().reserve({ skuId, holdId: uid("h"), qty: 1, warehouses: whs, expiresAt }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(back);
    const after = await expectInvariants(stub(), initial);
    expect(after.totals.available).toBe(0);
  });
});
