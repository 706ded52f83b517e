import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "../../web/src/api";
import { keysAfterEdit, newProductKeys } from "../../web/src/pages/vendor/Onboarding";

afterEach(() => vi.unstubAllGlobals());

describe("the wizard's first products", () => {
  it("go under an Idempotency-Key per product and per SKU as filled in: kept for a retry, renewed by a change", async () => {
    const sent: { path: string; key: string | null }[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      sent.push({
        path: new URL(url, "https://oms.test").pathname,
        key: new Headers(init.headers).get("idempotency-key"),
      });
      return new Response(JSON.stringify({ id: "prd_keys_1", title: "Masala chai" }), {
        status: 201,
        headers: { "content-type": "application/json" },
      });
    });
    const keys = newProductKeys();
    expect(keys.product).not.toBe(keys.sku);
    await api.createProduct("tok_keys", { title: "Masala chai" }, keys.product);
    await api.createSku("tok_keys", { productId: "prd_keys_1", code: "CHAI-KEYS" }, keys.sku);
    expect(sent).toEqual([
      { path: "/v1/products", key: keys.product },
      { path: "/v1/skus", key: keys.sku },
    ]);

    // A changed SKU field is another SKU, on the same product; a changed title, another product too.
    const recoded = keysAfterEdit(keys, "code");
    expect(recoded.product).toBe(keys.product);
    expect(recoded.sku).not.toBe(keys.sku);
    for (const field of ["price", "barcode"] as const) {
      expect(keysAfterEdit(keys, field).product).toBe(keys.product);
      expect(keysAfterEdit(keys, field).sku).not.toBe(keys.sku);
    }
    const retitled = keysAfterEdit(keys, "title");
    expect(retitled.product).not.toBe(keys.product);
    expect(retitled.sku).not.toBe(keys.sku);
  });
});
