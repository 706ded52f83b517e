import { describe, expect, it } from "vitest";
import { ADMIN, api, uid } from "../support/api";
import { inr, newProduct, newSku, newVendor } from "../support/catalog";
import { quote } from "./routing.fixtures";

/** One product offered by three vendors at three prices. */
async function scene() {
  const title = `Amla Candy ${uid()}`;
  const product = await newProduct(title);
  const prices = [10_900, 12_500, 14_000];
  const skus = [];
  for (const price of prices) {
    const vendor = await newVendor();
    skus.push(await newSku(vendor.id, product.id, { title: `${title}, 200 g`, price: inr(price) }));
  }
  return { title, product, skus };
}

describe("the catalog by product", () => {
  it("gives one entry per product with its price range and seller count", async () => {
    const s = await scene();
    const r = await api("GET", `/v1/catalog/products?search=${encodeURIComponent(s.title)}`);
    expect(r.status).toBe(200);
    expect(r.body.items).toEqual([
      {
        productId: s.product.id,
        title: s.title,
        minPrice: { amountMinor: 10_900, currency: "INR" },
        maxPrice: { amountMinor: 14_000, currency: "INR" },
        sellers: 3,
        offers: 3,
        oneItem: true,
        available: 0,
        images: [],
      },
    ]);
  });

  it("says whether its offers are one item, as checkout decides a line by product", async () => {
    const s = await scene();
    const one = async () =>
      (await api("GET", `/v1/catalog/products?search=${encodeURIComponent(s.title)}`)).body.items[0].oneItem;
    // Three sellers, one SKU each, barcodes of their own: one item.
    expect(await one()).toBe(true);
    // The first seller also lists a size it has paused: the product comes in sizes, and the other
    // sellers' barcodes are not the first's, so which size they sell is unknown.
    const paused = await newSku(s.skus[0].vendorId, s.product.id, { title: `${s.title}, 500 g` });
    await api("PATCH", `/v1/skus/${paused.id}`, { token: ADMIN, body: { status: "inactive" } });
    expect(await one()).toBe(false);
    const byProduct = await quote(ADMIN, [{ productId: s.product.id, qty: 1 }]);
    expect([byProduct.status, byProduct.body.errors?.[0]?.message]).toEqual([
      422,
      "comes in several variants: order one by skuId",
    ]);
  });

  it("finds a product by one offer's barcode and still counts all its offers", async () => {
    const s = await scene();
    const r = await api("GET", `/v1/catalog/products?search=${encodeURIComponent(s.skus[1].barcode)}`);
    expect(r.body.items).toHaveLength(1);
    expect(r.body.items[0]).toMatchObject({ productId: s.product.id, sellers: 3 });
    const offers = await api("GET", `/v1/catalog/skus?productId=${s.product.id}`);
    expect(offers.body.items).toHaveLength(3);
  });

  it("is not found by the title, code or barcode of an offer nobody can buy", async () => {
    const s = await scene();
    const suspended = await newVendor();
    const hidden = await newSku(suspended.id, s.product.id, { title: `Hidden ${uid()}` });
    await api("PATCH", `/v1/vendors/${suspended.id}`, { token: ADMIN, body: { status: "suspended" } });
    const paused = await newSku(s.skus[0].vendorId, s.product.id, { title: `Paused ${uid()}` });
    await api("PATCH", `/v1/skus/${paused.id}`, { token: ADMIN, body: { status: "inactive" } });
    for (const term of [hidden.title, hidden.code, hidden.barcode, paused.title, paused.code]) {
      const r = await api("GET", `/v1/catalog/products?search=${encodeURIComponent(term)}`);
      expect(r.status).toBe(200);
      expect(r.body.items, term).toEqual([]);
    }
    const own = await api("GET", `/v1/catalog/products?search=${encodeURIComponent(s.title)}`);
    expect(own.body.items).toEqual([expect.objectContaining({ productId: s.product.id, sellers: 3, offers: 3 })]);
  });

  it("pages by title without gaps or repeats", async () => {
    const tag = uid();
    for (let i = 0; i < 5; i++) {
      const p = await newProduct(`Paged ${tag} ${i}`);
      await newSku((await newVendor()).id, p.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: any = await api(
        "GET",
        `/v1/catalog/products?search=${encodeURIComponent(`Paged ${tag}`)}&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...r.body.items.map((i: any) => i.title));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => `Paged ${tag} ${i}`));
  });
});
