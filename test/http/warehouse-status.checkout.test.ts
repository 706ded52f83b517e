import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CLOSED_SKIP_MS } from "../../durable-objects/sku-stock-storage";
import { ADMIN, api, newCustomer, uid } from "../support/api";
import { BENGALURU, checkout, MUMBAI, stockedSku } from "../support/marketplace";

describe("a warehouse closed while checkouts run", () => {
  it("takes no more claims at once, though the isolate's catalog still lists it for seconds", async () => {
    const s = await stockedSku({
      warehouses: [
        { at: BENGALURU, onHand: 5 },
        { at: MUMBAI, onHand: 5 },
      ],
    });
    const [near, far] = s.warehouseIds as [string, string];
    const shopper = await newCustomer();
    // The first order reads the catalog into the isolate's cache, and goes to the nearer warehouse.
    const first = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.order.subOrders[0].lines[0].warehouseId).toBe(near);

    const stock = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(s.skuId));
    // A close finds the SKUs stocked there from the stock mirror, which the object writes within moments.
    const mirrored = () =>
      env.DB.prepare("select count(*) as n from stock_levels where sku_id = ? and warehouse_id = ?")
        .bind(s.skuId, near)
        .first<{ n: number }>();
    for (let i = 0; i < 200 && (await mirrored())!.n === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const version = (await stock.snapshot()).version;
    const closed = await api("PATCH", `/v1/warehouses/${near}`, { token: ADMIN, body: { status: "inactive" } });
    expect(closed.status).toBe(200);
    for (let i = 0; i < 100 && (await stock.snapshot()).version === version; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }

    const second = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    expect(second.body.order.subOrders[0].lines[0].warehouseId).toBe(far);
    const levels = new Map((await stock.snapshot()).warehouses.map((w) => [w.warehouseId, w.held]));
    expect([levels.get(near), levels.get(far)]).toEqual([1, 1]);

    // Open again: its units can be claimed again.
    expect((await api("PATCH", `/v1/warehouses/${near}`, { token: ADMIN, body: { status: "active" } })).status).toBe(
      200,
    );
    const reopened = (await stock.snapshot()).version;
    for (let i = 0; i < 100 && (await stock.snapshot()).version === reopened; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const claim = await stock.reserve({
      skuId: s.skuId,
      holdId: uid("hold"),
      qty: 4,
      warehouses: [near],
      expiresAt: Date.now() + 60_000,
    });
    expect(claim.ok && claim.allocations).toEqual([{ warehouseId: near, qty: 4 }]);
  });

  it("skips it only while a cached catalog may list it: a close heard late never keeps a reopened one off sale", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const [wh] = s.warehouseIds as [string];
    const stock = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(s.skuId));
    const claim = () =>
      stock.reserve({ skuId: s.skuId, holdId: uid("hold"), qty: 1, warehouses: [wh], expiresAt: Date.now() + 60_000 });
    // A close whose message came after the reopen's (or a reopen whose message was lost).
    await stock.sellerChanged({ warehouseId: wh, closed: true });
    expect(await claim()).toMatchObject({ ok: false, code: "OUT_OF_STOCK" });
    await runInDurableObject(stock, (_o, state) => {
      state.storage.sql.exec("UPDATE stock SET closed_at = ?", Date.now() - CLOSED_SKIP_MS - 1);
    });
    expect((await claim()).ok).toBe(true);
  });
});
