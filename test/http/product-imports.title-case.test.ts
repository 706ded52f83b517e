import { describe, expect, it } from "vitest";
import { api, uid } from "../support/api";
import { newProduct, newSku, newVendorWithToken } from "../support/catalog";
import { freshGtin, uniqueCode, untilImported, uploadCsv } from "../support/product-csv";

async function productsOf(vendorId: string, token: string): Promise<Map<string, string>> {
  const r = await api("GET", `/v1/skus?vendorId=${vendorId}&limit=100`, { token });
  expect(r.status).toBe(200);
  return new Map((r.body.items as { code: string; productId: string }[]).map((s) => [s.code, s.productId]));
}

describe("product titles in an import, whatever their case", () => {
  it("rows naming the vendor's product in another case join it, as the file groups them", async () => {
    const v = await newVendorWithToken();
    const title = `Linen Shirt ${uid()}`;
    const shirt = await newProduct(title);
    await newSku(v.vendorId, shirt.id, { barcode: freshGtin() });
    const [s, xl, m] = [uniqueCode(), uniqueCode(), uniqueCode()];
    const csv = [
      "product_title,sku_code,price,gtin",
      `${title},${s},1499,${freshGtin()}`,
      `${title.toLowerCase()},${xl},1499,${freshGtin()}`,
      `${title.toUpperCase()},${m},1499,${freshGtin()}`,
    ].join("\n");
    const r = await uploadCsv(v.token, csv);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const done = await untilImported(v.token, r.body.id);
    expect(done.body).toMatchObject({ createdSkus: 3, createdProducts: 0 });
    const byCode = await productsOf(v.vendorId, v.token);
    expect([byCode.get(s), byCode.get(xl), byCode.get(m)]).toEqual([shirt.id, shirt.id, shirt.id]);
  });

  it("a later file writing the title in another case adds its variant to the product, not a new one", async () => {
    const v = await newVendorWithToken();
    const title = `Wool Scarf ${uid()}`;
    const first = await uploadCsv(
      v.token,
      `product_title,sku_code,price,gtin\n${title},${uniqueCode()},999,${freshGtin()}\n`,
    );
    expect((await untilImported(v.token, first.body.id)).body).toMatchObject({ createdProducts: 1 });
    const code = uniqueCode();
    const later = await uploadCsv(
      v.token,
      `product_title,sku_code,price,gtin\n${title.toLowerCase()},${code},999,${freshGtin()}\n`,
    );
    expect((await untilImported(v.token, later.body.id)).body).toMatchObject({ createdSkus: 1, createdProducts: 0 });
    const products = await productsOf(v.vendorId, v.token);
    expect(new Set(products.values()).size).toBe(1);
    const product = await api("GET", `/v1/products/${products.get(code)}`, { token: v.token });
    expect(product.body.title).toBe(title);
  });
});
