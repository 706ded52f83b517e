import { describe, expect, it } from "vitest";
import { formatMoney } from "../../web/src/format";
import {
  type CartLine,
  cartTotalLabel,
  catalogShown,
  holdExpired,
  type ProductLine,
  refreshedCart,
} from "../../web/src/pages/Storefront";
import type { CatalogProduct, CatalogSku } from "../../web/src/types";

const inr = (amountMinor: number) => ({ amountMinor, currency: "INR" });

const offer = (skuId: string, productId: string, price: number, available: number): CatalogSku => ({
  skuId,
  vendorId: `ven_${skuId}`,
  vendorName: `Seller ${skuId}`,
  productId,
  title: `Item ${skuId}`,
  price: inr(price),
  barcode: `89${skuId}`,
  available,
});

const product = (productId: string, minPrice: number, available: number): CatalogProduct => ({
  productId,
  title: `Product ${productId}`,
  minPrice: inr(minPrice),
  maxPrice: inr(minPrice),
  sellers: 1,
  offers: 1,
  oneItem: true,
  available,
  images: [],
});

describe("the storefront cart's prices", () => {
  it("never shows a flat total: shipping is added at checkout, and a product line's seller may ask more", () => {
    const cart: CartLine[] = [{ sku: offer("sku_a", "prd_a", 12_500, 4), qty: 2 }];
    expect(cartTotalLabel(cart, [])).toBe(`${formatMoney(inr(25_000))} + shipping`);
    const products: ProductLine[] = [{ product: product("prd_b", 9_900, 3), qty: 1 }];
    expect(cartTotalLabel(cart, products)).toBe(`from ${formatMoney(inr(34_900))} + shipping`);
  });

  it("a kept cart takes the catalog's prices of now, its product lines the cheapest offer with stock", () => {
    const cart: CartLine[] = [
      { sku: offer("sku_a", "prd_a", 10_000, 9), qty: 2 },
      { sku: offer("sku_gone", "prd_a", 5_000, 9), qty: 1 },
    ];
    const products: ProductLine[] = [
      { product: product("prd_b", 9_900, 3), qty: 1 },
      { product: product("prd_c", 7_000, 0), qty: 1 },
    ];
    const now = [
      offer("sku_a", "prd_a", 12_500, 4),
      offer("sku_b1", "prd_b", 9_900, 0),
      offer("sku_b2", "prd_b", 11_000, 5),
      offer("sku_c1", "prd_c", 8_000, 0),
      offer("sku_c2", "prd_c", 7_500, 0),
    ];
    const fresh = refreshedCart(cart, products, now);
    expect(fresh.cart.map((l) => [l.sku.skuId, l.sku.price.amountMinor, l.sku.available, l.qty])).toEqual([
      ["sku_a", 12_500, 4, 2],
      // No longer listed: left for checkout to refuse.
      ["sku_gone", 5_000, 9, 1],
    ]);
    expect(
      fresh.products.map((l) => [l.product.productId, l.product.minPrice.amountMinor, l.product.available]),
    ).toEqual([
      ["prd_b", 11_000, 5],
      // None in stock: the cheapest of all, as the catalog's card.
      ["prd_c", 7_500, 0],
    ]);
  });
});

describe("an order's hold", () => {
  it("has expired once the clock reaches its holdExpiresAt, not a minute later when the job cancels it", () => {
    const at = "2026-11-29T10:15:00Z";
    expect(holdExpired(at, Date.parse("2026-11-29T10:14:59.999Z"))).toBe(false);
    expect(holdExpired(at, Date.parse(at))).toBe(true);
    expect(holdExpired(at, Date.parse("2026-11-29T10:15:20Z"))).toBe(true);
  });
});

describe("the catalog's shown products", () => {
  const product = (productId: string) => ({ productId, title: productId }) as unknown as CatalogProduct;
  const shirts = [product("prd_search_shirt_1"), product("prd_search_shirt_2")];

  it("keeps a new search's empty list while its read is on its way or failed, not the last search's rows", () => {
    // "shirt" was shown a page further (a cursor), then the shopper typed "shoe": the reset emptied
    // the list and the cursor, and the hook still holds the shirt answer, read for the old search.
    expect(catalogShown([], { data: { items: shirts }, stale: true }, null)).toEqual([]);
  });

  it("shows a search's first page, and a further page's new products after those shown", () => {
    expect(catalogShown([], { data: { items: shirts }, stale: false }, null)).toEqual(shirts);
    const more = [product("prd_search_shirt_2"), product("prd_search_shirt_3")];
    expect(catalogShown(shirts, { data: { items: more }, stale: false }, "c1").map((p) => p.productId)).toEqual([
      "prd_search_shirt_1",
      "prd_search_shirt_2",
      "prd_search_shirt_3",
    ]);
  });
});
