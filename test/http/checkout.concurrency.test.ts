import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, uid } from "../support/api";
import {
  BENGALURU,
  checkout,
  customers,
  DELHI,
  expectStockEquation,
  MUMBAI,
  pay,
  stockedSku,
  stockOf,
} from "../support/marketplace";

async function ordersFor(skuId: string) {
  const r = await env.DB.prepare(
    "select o.id, o.status, o.hold_id as holdId, sum(li.qty) as qty from orders o join line_items li on li.order_id = o.id where li.sku_id = ? group by o.id",
  )
    .bind(skuId)
    .all<{ id: string; status: string; holdId: string; qty: number }>();
  return r.results;
}

describe("checkout under concurrency", () => {
  it("sells exactly 100 units to 500 concurrent buyers across 3 warehouses", async () => {
    const s = await stockedSku({
      vendor: { hourlyCapacity: 1000 },
      warehouses: [
        { at: BENGALURU, onHand: 40 },
        { at: MUMBAI, onHand: 35 },
        { at: DELHI, onHand: 25 },
      ],
    });
    const buyers = await customers(500);
    const replies = await Promise.all(buyers.map((b) => checkout(b.token, [{ skuId: s.skuId, qty: 1 }])));
    const created = replies.filter((r) => r.status === 201);
    const refused = replies.filter((r) => r.status === 409);
    expect(created).toHaveLength(100);
    expect(refused).toHaveLength(400);
    for (const r of refused) expect(r.body.code).toBe("OUT_OF_STOCK");

    const paid = await Promise.all(
      created.map((r, i) => pay(buyers[replies.indexOf(r)]!.token, r.body.payment.id).then((p) => [i, p] as const)),
    );
    for (const [, p] of paid) expect(p.body.status).toBe("paid");
    const stock = await stockOf(s.skuId);
    expect(stock.totals).toEqual({ onHand: 100, available: 0, held: 0, committed: 100 });
    await expectStockEquation(s.skuId);
    const orders = await ordersFor(s.skuId);
    expect(orders).toHaveLength(100);
    expect(orders.every((o) => o.status === "paid" && o.qty === 1)).toBe(true);
    const audit = await api("POST", "/v1/admin/jobs/audit-invariants/run", { token: ADMIN, body: {} });
    expect(audit.body.result.ordersChecked).toBeGreaterThanOrEqual(100);
    expect(audit.body.result.violations).toEqual([]);
  });

  it("never leaves a partial order or a stranded hold when one SKU of 3-vendor carts runs out", async () => {
    const plenty1 = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 100 }] });
    const plenty2 = await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 100 }] });
    const scarce = await stockedSku({
      warehouses: [
        { at: DELHI, onHand: 7 },
        { at: BENGALURU, onHand: 5 },
      ],
    });
    const buyers = await customers(60);
    const replies = await Promise.all(
      buyers.map((b) =>
        checkout(b.token, [
          { skuId: plenty1.skuId, qty: 1 },
          { skuId: plenty2.skuId, qty: 1 },
          { skuId: scarce.skuId, qty: 1 },
        ]),
      ),
    );
    const ok = replies.filter((r) => r.status === 201);
    expect(ok).toHaveLength(12);
    expect(replies.filter((r) => r.status === 409)).toHaveLength(48);
    for (const r of ok) expect(r.body.order.subOrders).toHaveLength(3);
    expect((await stockOf(plenty1.skuId)).totals).toMatchObject({ held: 12, available: 88 });
    expect((await stockOf(plenty2.skuId)).totals).toMatchObject({ held: 12, available: 88 });
    expect((await stockOf(scarce.skuId)).totals).toMatchObject({ held: 12, available: 0 });
    for (const sku of [plenty1, plenty2, scarce]) {
      await expectStockEquation(sku.skuId);
      const orders = await ordersFor(sku.skuId);
      expect(orders).toHaveLength(12);
      // Every hold the object keeps belongs to a written order.
      for (const o of orders) {
        const rows = await env.SKU_STOCK.get(env.SKU_STOCK.idFromName(sku.skuId)).holdsOf(o.holdId);
        expect(rows.reduce((n, r) => n + (r.status === "held" ? r.qty : 0), 0)).toBe(1);
      }
    }
    const orderCount = await env.DB.prepare(
      "select count(distinct order_id) as n from sub_orders where vendor_id in (?, ?, ?)",
    )
      .bind(plenty1.vendorId, plenty2.vendorId, scarce.vendorId)
      .first<{ n: number }>();
    expect(orderCount?.n).toBe(12);
  });

  it("asks a SKU that just ran out first: a cart holding it is refused without claiming the others", async () => {
    const plenty1 = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 100 }] });
    const plenty2 = await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 100 }] });
    const scarce = await stockedSku({ warehouses: [{ at: DELHI, onHand: 1 }] });
    const cart = [
      { skuId: plenty1.skuId, qty: 1 },
      { skuId: plenty2.skuId, qty: 1 },
      { skuId: scarce.skuId, qty: 1 },
    ];
    const buyers = await customers(4);
    expect((await checkout(buyers[0]!.token, cart)).status).toBe(201);
    // The first refusal claims all three and gives two back; from then on the scarce SKU goes first.
    const refusedOnce = await checkout(buyers[1]!.token, cart);
    expect(refusedOnce.status).toBe(409);
    const ledger = (skuId: string) => env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId)).ledger(1000);
    const before = await Promise.all([ledger(plenty1.skuId), ledger(plenty2.skuId)]);
    for (const b of buyers.slice(2)) {
      const refused = await checkout(b.token, cart);
      expect(refused.status).toBe(409);
      expect(refused.body.shortages).toEqual([
        expect.objectContaining({ lineIndex: 2, skuId: scarce.skuId, requested: 1, available: 0 }),
      ]);
    }
    expect(await Promise.all([ledger(plenty1.skuId), ledger(plenty2.skuId)])).toEqual(before);
    // Back in stock: the whole cart is claimed again, the scarce SKU first.
    const restocked = await api("POST", `/v1/skus/${scarce.skuId}/stock/adjustments`, {
      token: ADMIN,
      body: { warehouseId: scarce.warehouseIds[0], delta: 1, reason: "restock" },
      headers: { "Idempotency-Key": uid("adj-") },
    });
    expect(restocked.status).toBe(200);
    expect((await checkout(buyers[3]!.token, cart)).status).toBe(201);
    for (const sku of [plenty1, plenty2, scarce]) await expectStockEquation(sku.skuId);
    expect((await stockOf(plenty1.skuId)).totals).toMatchObject({ held: 2, available: 98 });
    expect((await stockOf(scarce.skuId)).totals).toMatchObject({ held: 2, available: 0 });
  });

  it("creates one order for the same Idempotency-Key sent concurrently", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const [buyer] = await customers(1);
    const key = uid("same-");
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => checkout(buyer!.token, [{ skuId: s.skuId, qty: 2 }], key)),
    );
    for (const r of replies) expect(r.status).toBe(201);
    const ids = new Set(replies.map((r) => r.body.order.id));
    expect(ids.size).toBe(1);
    for (const r of replies) expect(r.body).toEqual(replies[0]!.body);
    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 2, available: 8 });
    expect(await ordersFor(s.skuId)).toHaveLength(1);
  });
});
