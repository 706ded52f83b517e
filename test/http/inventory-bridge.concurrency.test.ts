import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { reconcileBridgePage } from "../../src/inventory/bridge-reconcile";
import { lost, stockCalls } from "../support/bindings";
import { bridgeSecret, sendBridge } from "../support/bridge";
import { checkout, customers, expectStockEquation, stockedSku } from "../support/marketplace";

const BLR = { lat: 12.97, lng: 77.59 };

describe("inventory bridge beside checkout", () => {
  it("never oversells and never undoes a hold when counts land while checkouts hold units", async () => {
    const PHYSICAL = 12;
    const BUYERS = 30;
    const s = await stockedSku({ warehouses: [{ at: BLR, onHand: PHYSICAL }], vendor: { hourlyCapacity: 1_000_000 } });
    const warehouseId = s.warehouseIds[0]!;
    const secret = await bridgeSecret(s.vendorId);
    const shoppers = await customers(BUYERS);

    // The sheet keeps saying the shelf holds PHYSICAL units (nothing has shipped), counted at
    // moments spread through the rush; reconciles run in the middle of the checkouts.
    const start = Date.now();
    const sheet = async (i: number) => {
      const r = await sendBridge(s.vendorId, secret, {
        rows: [{ skuId: s.skuId, warehouseId, count: PHYSICAL, countedAt: new Date(start + i).toISOString() }],
      });
      expect(r.status).toBe(202);
      await Promise.all([reconcileBridgePage(env, new Date()), reconcileBridgePage(env, new Date())]);
    };
    const [replies] = await Promise.all([
      Promise.all(shoppers.map((b) => checkout(b.token, [{ skuId: s.skuId, qty: 1 }]))),
      Promise.all(Array.from({ length: 6 }, (_, i) => sheet(i))),
    ]);
    for (let i = 0; i < 5; i++) await reconcileBridgePage(env, new Date());

    const accepted = replies.filter((r) => r.status === 201).length;
    expect(replies.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    const snap = await expectStockEquation(s.skuId);
    const level = snap.warehouses.find((w) => w.warehouseId === warehouseId)!;
    // Every accepted checkout still holds its unit, and no more were promised than the shelf has.
    expect(accepted).toBe(PHYSICAL);
    expect(level.held).toBe(accepted);
    expect(level.onHand).toBe(PHYSICAL);
    expect(level.available).toBe(0);
    const staged = await env.DB.prepare(
      "SELECT count(*) AS n FROM bridge_rows WHERE vendor_id = ? AND status = 'staged'",
    )
      .bind(s.vendorId)
      .first<{ n: number }>();
    expect(staged!.n).toBe(0);
  });

  it("a count taken before a shipment lands net of it, and one below what is promised stops there", async () => {
    const s = await stockedSku({ warehouses: [{ at: BLR, onHand: 10 }], vendor: { hourlyCapacity: 1_000_000 } });
    const warehouseId = s.warehouseIds[0]!;
    const stock = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(s.skuId));
    const countedAt = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    // Since the count: 3 units held, 2 of them committed and shipped.
    for (const [holdId, qty] of [
      ["ship-a", 2],
      ["hold-b", 1],
    ] as const) {
      const r = await stock.reserve({
        skuId: s.skuId,
        holdId: `${holdId}-${s.skuId}`,
        qty,
        warehouses: [warehouseId],
        expiresAt: Date.now() + 3_600_000,
      });
      expect(r.ok).toBe(true);
    }
    await stock.commit(`ship-a-${s.skuId}`);
    await stock.ship(`ship-a-${s.skuId}`);

    const applied = await stock.applyBridge({
      skuId: s.skuId,
      actor: "t",
      rows: [
        { rowId: `${s.skuId}-1`, warehouseId, kind: "count", count: 9, countedAt },
        { rowId: `${s.skuId}-2`, warehouseId, kind: "delta", delta: -20, reason: "damage" },
      ],
    });
    // 9 counted, 2 shipped since: 7. Then a damage of 20 would leave -13: it stops at the 1 held.
    expect(applied.results.map((r) => [r.outcome, r.onHandAfter, r.shortfall])).toEqual([
      ["applied", 7, 0],
      ["clamped", 1, 14],
    ]);
    const level = (await expectStockEquation(s.skuId)).warehouses[0]!;
    expect([level.onHand, level.held, level.available]).toEqual([1, 1, 0]);
  });

  it("a SKU's newer rows wait while its older ones are out on a failed page: deltas land in the order sent", async () => {
    const s = await stockedSku({ warehouses: [{ at: BLR, onHand: 10 }], vendor: { hourlyCapacity: 1_000_000 } });
    const warehouseId = s.warehouseIds[0]!;
    const stock = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(s.skuId));
    // Every unit is sold and paid for: nothing is available.
    expect(
      (
        await stock.reserve({
          skuId: s.skuId,
          holdId: `sold-${s.skuId}`,
          qty: 10,
          warehouses: [warehouseId],
          expiresAt: Date.now() + 3_600_000,
        })
      ).ok,
    ).toBe(true);
    expect((await stock.commit(`sold-${s.skuId}`)).ok).toBe(true);
    const secret = await bridgeSecret(s.vendorId);
    const push = async (delta: number, reason: string) =>
      expect(
        (await sendBridge(s.vendorId, secret, { rows: [{ skuId: s.skuId, warehouseId, delta, reason }] })).status,
      ).toBe(202);

    // A restock of 50, whose first page cannot reach the stock object.
    await push(50, "restock");
    const now = Date.now();
    const failed = await reconcileBridgePage(stockCalls({ applyBridge: () => lost }), new Date(now));
    expect(failed.failedSkus).toBeGreaterThanOrEqual(1);
    // Then 20 damaged: applied before the restock it would clamp at 10 and the restock make 60.
    await push(-20, "damage");
    await reconcileBridgePage(env, new Date(now + 1_000));
    // Once the failed page's lease lapses, both land in order: 10 + 50 - 20.
    for (let i = 0; i < 3; i++) await reconcileBridgePage(env, new Date(now + 3 * 60_000));
    const level = (await expectStockEquation(s.skuId)).warehouses[0]!;
    expect([level.onHand, level.committed, level.available]).toEqual([40, 10, 30]);
  });
});
