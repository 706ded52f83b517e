import { describe, expect, it } from "vitest";
import { ADMIN, api, uid } from "../support/api";
import { newProduct, newSku, newVendor, newWarehouse } from "../support/catalog";

/** Follows nextCursor to the end, checking every page's size. */
async function walk(path: string, limit: number, token?: string) {
  const pages: any[][] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const r: any = await api("GET", `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`, { token });
    expect(r.status).toBe(200);
    expect(r.body.items.length).toBeLessThanOrEqual(limit);
    pages.push(r.body.items);
    cursor = r.body.nextCursor;
    expect(pages.length).toBeLessThan(100);
  } while (cursor);
  return pages;
}

describe("catalog pagination", () => {
  it("pages the catalog by title with opaque cursors, no overlaps and no gaps", async () => {
    const tag = uid("pg");
    const product = await newProduct(`Paged ${tag}`);
    const vendor = await newVendor();
    // Equal titles make the id the tie-breaker across a page boundary.
    const titles = ["Apple", "Banana", "Banana", "Banana", "Cherry", "Date", "Elderberry"].map((t) => `${t} ${tag}`);
    const made = [];
    for (const title of titles) made.push(await newSku(vendor.id, product.id, { title }));
    const pages = await walk(`/v1/catalog/skus?productId=${product.id}`, 2);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 1]);
    const seen = pages.flat();
    expect(seen.map((i) => i.title)).toEqual(titles);
    expect(new Set(seen.map((i) => i.skuId)).size).toBe(made.length);

    const exact = await walk(`/v1/catalog/skus?productId=${product.id}`, 7);
    expect(exact.map((p) => p.length)).toEqual([7]);
    const fifty = await api("GET", `/v1/catalog/skus?productId=${product.id}`);
    expect(fifty.body.items).toHaveLength(7);
    expect(fifty.body.nextCursor).toBeNull();
  });

  it("pages products, SKUs, vendors and warehouses", async () => {
    const tag = uid("pp");
    for (let i = 0; i < 5; i += 1) await newProduct(`${tag} product ${i}`);
    const products = (await walk(`/v1/products?search=${tag}`, 2, ADMIN)).flat();
    expect(products.map((p) => p.title)).toEqual([0, 1, 2, 3, 4].map((i) => `${tag} product ${i}`));

    const vendor = await newVendor({ name: `${tag} vendor` });
    const product = await newProduct();
    for (let i = 0; i < 3; i += 1) await newSku(vendor.id, product.id, { title: `sku ${i}` });
    const skus = (await walk(`/v1/skus?vendorId=${vendor.id}`, 2, ADMIN)).flat();
    expect(skus.map((s) => s.title)).toEqual(["sku 0", "sku 1", "sku 2"]);

    for (let i = 0; i < 3; i += 1) await newWarehouse(vendor.id, { name: `dc ${i}` });
    const whs = (await walk(`/v1/vendors/${vendor.id}/warehouses`, 1, ADMIN)).flat();
    expect(whs.map((w) => w.name)).toEqual(["dc 0", "dc 1", "dc 2"]);

    const allVendors = (await walk("/v1/vendors", 3, ADMIN)).flat();
    expect(new Set(allVendors.map((v) => v.id)).size).toBe(allVendors.length);
    expect(allVendors.map((v) => v.id)).toContain(vendor.id);
  });

  it("caps limit at 200 and defaults it to 50", async () => {
    const product = await newProduct();
    const vendor = await newVendor();
    for (let i = 0; i < 51; i += 1) await newSku(vendor.id, product.id);
    const first = await api("GET", `/v1/catalog/skus?productId=${product.id}`);
    expect(first.body.items).toHaveLength(50);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const rest = await api("GET", `/v1/catalog/skus?productId=${product.id}&cursor=${first.body.nextCursor}`);
    expect(rest.body.items).toHaveLength(1);
    expect(rest.body.nextCursor).toBeNull();
    const max = await api("GET", `/v1/catalog/skus?productId=${product.id}&limit=200`);
    expect(max.body.items).toHaveLength(51);
  });
});
