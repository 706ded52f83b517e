import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/dev/index";
import { applyImportPage } from "../../src/product-import/apply";
import { ADMIN, api } from "../support/api";
import { lost, stockCalls } from "../support/bindings";
import { inr, newProduct, newSku, newVendorWithToken, newWarehouse } from "../support/catalog";
import { stockOf } from "../support/marketplace";
import { freshGtin, uniqueCode } from "../support/product-csv";

/**
 * The upload through the Worker's entry with every send to the order-events queue lost: the import
 * is stored and its page left for the test to apply, as the queue consumer would.
 */
async function storedUpload(token: string, csv: string): Promise<string> {
  const unsent = {
    send: lost,
    sendBatch: lost,
  } as unknown as Env["ORDER_EVENTS"];
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request("https://oms.test/v1/product-imports", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
      body: csv,
    }),
    { ...env, ORDER_EVENTS: unsent },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const body = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(body)).toBe(202);
  return body.id;
}

describe("an import page applied again after its stock calls failed", () => {
  it("reports what the first attempt changed, and the retry only finishes the stock", async () => {
    const v = await newVendorWithToken();
    const wh = await newWarehouse(v.vendorId);
    const product = await newProduct();
    const existing = [];
    for (let i = 0; i < 3; i++)
      existing.push(await newSku(v.vendorId, product.id, { barcode: freshGtin(), price: inr(1000) }));
    const untouched = await newSku(v.vendorId, product.id, { barcode: freshGtin() });
    const fresh = [uniqueCode(), uniqueCode()];
    const csv = [
      `product_title,sku_code,price,gtin,stock:${wh.id}`,
      ...existing.map((s) => `Old,${s.code},12.00,${s.barcode},5`),
      ...fresh.map((code) => `New ${code},${code},99,${freshGtin()},3`),
      // A GTIN another of the vendor's SKUs carries: refused when the catalog is written, never stocked.
      `Dup,${uniqueCode()},99,${untouched.barcode},2`,
    ].join("\n");
    const importId = await storedUpload(v.token, csv);

    // The catalog batch is written, then one SKU's stock object cannot be reached: the page fails.
    const unreachable = existing[2]!.id;
    const failing = stockCalls({ setOnHand: (call, skuId) => (skuId === unreachable ? lost : call) });
    await expect(applyImportPage(failing, importId, 0, new Date())).rejects.toThrow();
    expect((await api("GET", `/v1/skus/${existing[0]!.id}`, { token: ADMIN })).body.price.amountMinor).toBe(1200);
    const meanwhile = await api("GET", `/v1/product-imports/${importId}`, { token: v.token });
    expect(meanwhile.body).toMatchObject({ status: "applying", appliedRows: 0 });

    // The queue delivers the page again.
    const retried = await applyImportPage(env, importId, 0, new Date());
    expect(retried).toMatchObject({ createdProducts: 2, createdSkus: 2, updatedSkus: 3, stockLevels: 5 });
    const done = await api("GET", `/v1/product-imports/${importId}`, { token: v.token });
    expect(done.body).toMatchObject({
      status: "done",
      appliedRows: 6,
      invalidRows: 1,
      createdProducts: 2,
      createdSkus: 2,
      offers: 0,
      updatedSkus: 3,
      stockLevels: 5,
      errors: [{ line: 7, field: "gtin", message: `your SKU ${untouched.code} already has this GTIN` }],
    });
    expect((await stockOf(unreachable)).warehouses).toMatchObject([{ warehouseId: wh.id, onHand: 5 }]);
    expect((await stockOf(untouched.id)).warehouses).toEqual([]);

    // Delivered once more, an applied page changes and recounts nothing.
    expect(await applyImportPage(env, importId, 0, new Date())).toBeNull();
    expect((await api("GET", `/v1/product-imports/${importId}`, { token: v.token })).body).toEqual(done.body);
  });
});
