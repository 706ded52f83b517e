import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { announceWarehouseStatusNow } from "../../src/inventory/warehouse-status";
import { ADMIN } from "../support/api";
import { lost, stockCalls } from "../support/bindings";
import { newProduct, newSku, newVendor, newWarehouse } from "../support/catalog";
import { meteredDelivery, meteredRequest } from "../support/invocation-budget";

// Opening or closing a warehouse tells every SKU stocked there (a stock-object call each): a page of
// 100 per invocation, the rest on the queue, however many SKUs the warehouse holds.

const SKUS = 150;

describe("a warehouse of 150 SKUs closed", () => {
  it("re-announces 100 of them with the change and the other 50 from the queue", async () => {
    const vendor = await newVendor();
    const warehouse = await newWarehouse(vendor.id);
    const product = await newProduct();
    const skuIds: string[] = [];
    for (let i = 0; i < SKUS; i += 15) {
      const made = await Promise.all(Array.from({ length: 15 }, () => newSku(vendor.id, product.id)));
      skuIds.push(...made.map((s) => s.id as string));
    }
    // The stock mirror's rows, as the objects' pushes would leave them.
    await env.DB.prepare(
      `insert into stock_levels (sku_id, warehouse_id, on_hand, available, held, committed, version, updated_at)
       select value, ?2, 5, 5, 0, 0, 1, ?3 from json_each(?1)`,
    )
      .bind(JSON.stringify(skuIds), warehouse.id, new Date().toISOString())
      .run();

    const closed = await meteredRequest("PATCH", `/v1/warehouses/${warehouse.id}`, {
      token: ADMIN,
      body: { status: "inactive" },
    });
    expect(closed.status).toBe(200);
    expect(closed.spend.by["SKU_STOCK.sellerChanged"]).toBe(100);
    expect(closed.spend.by["ORDER_EVENTS.send"]).toBe(1);

    const sorted = [...skuIds].sort();
    const rest = await meteredDelivery([
      { type: "warehouse-sellers.page", warehouseId: warehouse.id, after: sorted[99] },
    ]);
    expect(rest.result.explicitAcks).toHaveLength(1);
    expect(rest.spend.by["SKU_STOCK.sellerChanged"]).toBe(SKUS - 100);
    expect(rest.spend.by["ORDER_EVENTS.send"]).toBeUndefined();
  });
});

describe("a warehouse closed while a stock object is unreachable", () => {
  it("hands its first page to the queue, whose deliveries are retried, rather than dropping it and the rest", async () => {
    const vendor = await newVendor();
    const warehouse = await newWarehouse(vendor.id);
    const product = await newProduct();
    const skuIds = (await Promise.all(Array.from({ length: 3 }, () => newSku(vendor.id, product.id)))).map(
      (s) => s.id as string,
    );
    await env.DB.prepare(
      `insert into stock_levels (sku_id, warehouse_id, on_hand, available, held, committed, version, updated_at)
       select value, ?2, 5, 5, 0, 0, 1, ?3 from json_each(?1)`,
    )
      .bind(JSON.stringify(skuIds), warehouse.id, new Date().toISOString())
      .run();
    await env.DB.prepare("update warehouses set status = 'inactive' where id = ?").bind(warehouse.id).run();

    const sent: unknown[] = [];
    const failing = {
      ...stockCalls({ sellerChanged: (call, skuId) => (skuId === skuIds[1] ? lost : call) }),
      ORDER_EVENTS: { send: async (body: unknown) => void sent.push(body) } as unknown as Env["ORDER_EVENTS"],
    };
    await announceWarehouseStatusNow(failing, warehouse.id);
    expect(sent).toEqual([{ type: "warehouse-sellers.page", warehouseId: warehouse.id, after: "" }]);

    const retried = await meteredDelivery(sent);
    expect(retried.result.explicitAcks).toHaveLength(1);
    expect(retried.spend.by["SKU_STOCK.sellerChanged"]).toBe(3);
  });
});
