import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SkuStock } from "../../durable-objects/sku-stock";
import type { BridgeRow } from "../../durable-objects/sku-stock-rpc";
import { uid } from "../support/api";
import { insertCatalog } from "../support/catalog-rows";

const HOUR = 3600_000;

/** One warehouse of 30 units, 15 of them held by unpaid carts (three holds of 5). */
async function busyWarehouse() {
  const [vendorId, skuId, wh] = [uid("ven"), uid("sku"), uid("wh")];
  await insertCatalog(vendorId, skuId, [wh]);
  const stub = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId));
  expect(
    (await stub.setOnHand({ skuId, counts: [{ warehouseId: wh, onHand: 30 }], reason: "count", actor: "t" })).ok,
  ).toBe(true);
  const holds = [uid("h"), uid("h"), uid("h")];
  for (const holdId of holds) {
    const r = await stub.reserve({ skuId, holdId, qty: 5, warehouses: [wh], expiresAt: Date.now() + HOUR });
    expect(r.ok).toBe(true);
  }
  const bridge = (...rows: BridgeRow[]) => stub.applyBridge({ skuId, actor: "t", rows });
  const level = async () => {
    const w = (await stub.snapshot()).warehouses[0]!;
    expect(w.onHand).toBe(w.available + w.held + w.committed);
    return { onHand: w.onHand, available: w.available, held: w.held, committed: w.committed };
  };
  return { skuId, wh, stub, holds, bridge, level };
}

describe("a shortfall: the bridge says the shelf has fewer units than are promised", () => {
  it("units the holds give back leave on hand instead of going on sale", async () => {
    const s = await busyWarehouse();
    // 20 damaged: the shelf has 10, the carts hold 15.
    const [damage] = (
      await s.bridge({ rowId: uid("row"), warehouseId: s.wh, kind: "delta", delta: -20, reason: "damage" })
    ).results;
    expect([damage!.outcome, damage!.onHandAfter, damage!.shortfall]).toEqual(["clamped", 15, 5]);
    expect(await s.level()).toEqual({ onHand: 15, available: 0, held: 15, committed: 0 });

    // One cart of 5 is abandoned: its units were never on the shelf.
    expect((await s.stub.release(s.holds[0]!, "checkout_failed")).ok).toBe(true);
    expect(await s.level()).toEqual({ onHand: 10, available: 0, held: 10, committed: 0 });

    // One pays and another is released: the shelf's 10 are now 5 sold and 5 free.
    expect((await s.stub.commit(s.holds[1]!)).ok).toBe(true);
    expect((await s.stub.release(s.holds[2]!, "checkout_failed")).ok).toBe(true);
    expect(await s.level()).toEqual({ onHand: 10, available: 5, held: 0, committed: 5 });
  });

  it("holds that lapse give back nothing the shelf lacks", async () => {
    const s = await busyWarehouse();
    await s.bridge({ rowId: uid("row"), warehouseId: s.wh, kind: "count", count: 4, countedAt: Date.now() });
    expect(await s.level()).toEqual({ onHand: 15, available: 0, held: 15, committed: 0 });
    await runInDurableObject(s.stub, (_: SkuStock, state) => {
      state.storage.sql.exec("UPDATE holds SET expires_at = ?", Date.now() - 1);
    });
    await runDurableObjectAlarm(s.stub);
    expect(await s.level()).toEqual({ onHand: 4, available: 4, held: 0, committed: 0 });
  });

  it("a restock first makes up the shortfall, by the bridge or by an adjustment", async () => {
    const s = await busyWarehouse();
    await s.bridge({ rowId: uid("row"), warehouseId: s.wh, kind: "delta", delta: -20, reason: "damage" });
    // The shelf had 10; 8 arrive: 18 on the shelf, 15 promised.
    const [restock] = (
      await s.bridge({ rowId: uid("row"), warehouseId: s.wh, kind: "delta", delta: 8, reason: "restock" })
    ).results;
    expect([restock!.outcome, restock!.onHandAfter, restock!.shortfall]).toEqual(["applied", 18, 0]);
    expect(await s.level()).toEqual({ onHand: 18, available: 3, held: 15, committed: 0 });

    const t = await busyWarehouse();
    await t.bridge({ rowId: uid("row"), warehouseId: t.wh, kind: "delta", delta: -20, reason: "damage" });
    const adjusted = await t.stub.adjust({
      skuId: t.skuId,
      warehouseId: t.wh,
      delta: 3,
      reason: "restock",
      actor: "t",
    });
    expect(adjusted.ok).toBe(true);
    // 10 + 3 on the shelf, still 2 short of the 15 held: those 2 leave with the next release.
    expect(await t.level()).toEqual({ onHand: 15, available: 0, held: 15, committed: 0 });
    await t.stub.release(t.holds[0]!, "checkout_failed");
    expect(await t.level()).toEqual({ onHand: 13, available: 3, held: 10, committed: 0 });
  });

  it("a count at or above what is promised ends the shortfall", async () => {
    const s = await busyWarehouse();
    await s.bridge({ rowId: uid("row"), warehouseId: s.wh, kind: "delta", delta: -20, reason: "damage" });
    await s.bridge({ rowId: uid("row"), warehouseId: s.wh, kind: "count", count: 25, countedAt: Date.now() });
    await s.stub.release(s.holds[0]!, "checkout_failed");
    expect(await s.level()).toEqual({ onHand: 25, available: 15, held: 10, committed: 0 });
  });

  it("a shipment of units the shelf was said to lack takes the shortfall down with it", async () => {
    const s = await busyWarehouse();
    for (const h of s.holds) expect((await s.stub.commit(h)).ok).toBe(true);
    await s.bridge({ rowId: uid("row"), warehouseId: s.wh, kind: "count", count: 0, countedAt: Date.now() });
    // The vendor ships all three orders anyway: the count was wrong, and on hand ends at 0, not below.
    for (const h of s.holds) expect((await s.stub.ship(h)).ok).toBe(true);
    expect(await s.level()).toEqual({ onHand: 0, available: 0, held: 0, committed: 0 });
    const restocked = await s.stub.adjust({
      skuId: s.skuId,
      warehouseId: s.wh,
      delta: 2,
      reason: "restock",
      actor: "t",
    });
    expect(restocked.ok && restocked.warehouse.available).toBe(2);
  });

  it("units set aside for a reassignment join the order's hold whole, though a count below them lands between", async () => {
    const s = await busyWarehouse();
    const [order, aside] = [uid("order"), uid("aside")];
    expect(
      (
        await s.stub.reserve({
          skuId: s.skuId,
          holdId: aside,
          qty: 4,
          warehouses: [s.wh],
          expiresAt: Date.now() + HOUR,
        })
      ).ok,
    ).toBe(true);
    // 15 + 4 held; the shelf is counted at 0.
    await s.bridge({ rowId: uid("row"), warehouseId: s.wh, kind: "count", count: 0, countedAt: Date.now() });
    expect(await s.level()).toEqual({ onHand: 19, available: 0, held: 19, committed: 0 });
    const moved = await s.stub.reallocate({
      skuId: s.skuId,
      holdId: order,
      status: "committed",
      add: [{ qty: 4, warehouses: [s.wh] }],
      setAside: aside,
      expiresAt: Date.now() + HOUR,
      reason: "reassigned",
      actor: "ops:test",
      key: uid("k"),
    });
    expect(moved).toMatchObject({ ok: true, added: [{ warehouseId: s.wh, qty: 4 }] });
    expect(await s.level()).toEqual({ onHand: 19, available: 0, held: 15, committed: 4 });
  });

  it("a delta that only moves the shortfall leaves on hand's version, so a count made against it applies", async () => {
    const s = await busyWarehouse();
    await s.bridge({ rowId: uid("row"), warehouseId: s.wh, kind: "delta", delta: -20, reason: "damage" });
    const version = (await s.stub.snapshot()).warehouses[0]!.version;
    const [restock] = (
      await s.bridge({ rowId: uid("row"), warehouseId: s.wh, kind: "delta", delta: 3, reason: "restock" })
    ).results;
    expect([restock!.onHandBefore, restock!.onHandAfter, restock!.shortfall]).toEqual([15, 15, 2]);
    expect((await s.stub.snapshot()).warehouses[0]!.version).toBe(version);
  });
});
