import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, uid } from "../support/api";
import { inr, newProduct, newSku, newVendor, newWarehouse } from "../support/catalog";

/** Writes the stock mirror as the stock objects' flush does (src/db/stock-mirror.ts). */
async function mirror(skuId: string, warehouseId: string, available: number) {
  await env.DB.prepare(
    "insert into stock_levels (sku_id, warehouse_id, on_hand, available, held, committed, version, updated_at) values (?, ?, ?, ?, 0, 0, 1, '2026-11-29T09:00:00Z')",
  )
    .bind(skuId, warehouseId, available, available)
    .run();
}

/** One product from three sellers: the cheapest has sold out, the other two have stock. */
async function scene() {
  const title = `Kokum Syrup ${uid()}`;
  const product = await newProduct(title);
  const offers = [];
  for (const [price, available] of [
    [9_900, 0],
    [12_500, 4],
    [14_000, 2],
  ] as const) {
    const vendor = await newVendor();
    const warehouse = await newWarehouse(vendor.id);
    const sku = await newSku(vendor.id, product.id, { title: `${title}, 750 ml`, price: inr(price) });
    await mirror(sku.id, warehouse.id, available);
    offers.push({ sku, warehouse });
  }
  return { title, product, offers };
}

const card = async (title: string) =>
  (await api("GET", `/v1/catalog/products?search=${encodeURIComponent(title)}`)).body.items[0];

describe("the catalog by product, priced by what is in stock", () => {
  it("gives the price range and sellers of the offers with stock, not of a sold-out cheaper one", async () => {
    const s = await scene();
    expect(await card(s.title)).toMatchObject({
      productId: s.product.id,
      minPrice: { amountMinor: 12_500, currency: "INR" },
      maxPrice: { amountMinor: 14_000, currency: "INR" },
      sellers: 2,
      offers: 3,
      available: 6,
    });
  });

  it("falls back to every active offer when none has stock", async () => {
    const title = `Sold Out Syrup ${uid()}`;
    const product = await newProduct(title);
    for (const price of [9_900, 12_500]) {
      const vendor = await newVendor();
      const warehouse = await newWarehouse(vendor.id);
      const sku = await newSku(vendor.id, product.id, { price: inr(price) });
      await mirror(sku.id, warehouse.id, 0);
    }
    expect(await card(title)).toMatchObject({
      minPrice: { amountMinor: 9_900, currency: "INR" },
      maxPrice: { amountMinor: 12_500, currency: "INR" },
      sellers: 2,
      available: 0,
    });
  });

  it("counts no stock in an inactive warehouse, as checkout routes to none", async () => {
    const s = await scene();
    await env.DB.prepare("update warehouses set status = 'inactive' where id = ?")
      .bind(s.offers[2]!.warehouse.id)
      .run();
    expect(await card(s.title)).toMatchObject({
      minPrice: { amountMinor: 12_500, currency: "INR" },
      maxPrice: { amountMinor: 12_500, currency: "INR" },
      sellers: 1,
      available: 4,
    });
  });
});
