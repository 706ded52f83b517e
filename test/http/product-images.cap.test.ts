import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { imagesOfProducts } from "../../src/db/product-images";
import { ADMIN, api, uid } from "../support/api";
import { d1Batches } from "../support/bindings";
import { newProduct, newSku, newVendorWithToken } from "../support/catalog";
import { photoObjects, pngOf } from "../support/images";

// Any seller of a shared product may add photos to it, and every catalog page reads its cards'
// first few: the photos of a product are capped, and a page reads no more of them than it shows.

/** The cap README states (`MAX_PRODUCT_IMAGES`). */
const MAX_PRODUCT_IMAGES = 20;

const post = (productId: string, token: string, bytes: BodyInit) =>
  api("POST", `/v1/products/${productId}/images`, { token, rawBody: bytes, headers: { "content-type": "image/png" } });

const rowsOf = async (productId: string) =>
  (await env.DB.prepare("select count(*) as n from product_images where product_id = ?").bind(productId).first<{
    n: number;
  }>())!.n;

/** `n` photo rows written straight into D1 (the row is all the cap and the card read look at). */
async function seedPhotoRows(
  productId: string,
  n: number,
  createdAt = (i: number) => `2026-01-01T00:00:${String(i).padStart(2, "0")}Z`,
) {
  const ids = Array.from({ length: n }, (_, i) => `img_${uid()}_${String(i).padStart(3, "0")}`);
  await env.DB.batch(
    ids.map((id, i) =>
      env.DB.prepare(
        "insert into product_images (id, product_id, vendor_id, width, height, content_sha256, created_at) values (?, ?, null, 10, 10, ?, ?)",
      ).bind(id, productId, uid("sha"), createdAt(i)),
    ),
  );
  return ids;
}

async function sellerOfNewProduct() {
  const v = await newVendorWithToken();
  const product = await newProduct(`Capped ${uid()}`);
  await newSku(v.vendorId, product.id);
  return { ...v, productId: product.id as string };
}

describe("photos per product", () => {
  it(`refuses the photo past ${MAX_PRODUCT_IMAGES} with 409 and stores nothing of it`, async () => {
    const s = await sellerOfNewProduct();
    const seeded = await seedPhotoRows(s.productId, MAX_PRODUCT_IMAGES - 1);
    const last = await pngOf(30, 20);
    const took = await post(s.productId, s.token, last);
    expect(took.status).toBe(201);
    expect(await rowsOf(s.productId)).toBe(MAX_PRODUCT_IMAGES);

    const before = await photoObjects();
    for (const token of [s.token, ADMIN]) {
      const r = await post(s.productId, token, await pngOf(31, 20));
      expect(r.status).toBe(409);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.body).toMatchObject({ code: "CONFLICT", maxImages: MAX_PRODUCT_IMAGES });
      expect(r.body.detail).toContain(`at most ${MAX_PRODUCT_IMAGES} photos`);
    }
    expect(await rowsOf(s.productId)).toBe(MAX_PRODUCT_IMAGES);
    expect(await photoObjects()).toBe(before);

    // A retried upload of a photo it has is still its photo.
    const retried = await post(s.productId, s.token, last);
    expect(retried.status).toBe(200);
    expect(retried.body.id).toBe(took.body.id);

    // Deleting one makes room for one.
    expect((await api("DELETE", `/v1/products/${s.productId}/images/${seeded[0]}`, { token: ADMIN })).status).toBe(204);
    expect((await post(s.productId, s.token, await pngOf(31, 20))).status).toBe(201);
    expect((await post(s.productId, s.token, await pngOf(32, 20))).status).toBe(409);
  });

  it("lets only as many photos sent at once in as there are places, leaving nothing of the others", async () => {
    const s = await sellerOfNewProduct();
    await seedPhotoRows(s.productId, MAX_PRODUCT_IMAGES - 2);
    const before = await photoObjects();
    const sent = await Promise.all([pngOf(40, 21), pngOf(40, 22), pngOf(40, 23), pngOf(40, 24)]);
    const answers = await Promise.all(sent.map((bytes) => post(s.productId, s.token, bytes)));
    expect(answers.map((r) => r.status).sort()).toEqual([201, 201, 409, 409]);
    expect(await rowsOf(s.productId)).toBe(MAX_PRODUCT_IMAGES);
    // Two photos in two sizes each.
    expect((await photoObjects()) - before).toBe(4);
  });
});

describe("a catalog page's card photos", () => {
  it("reads at most the card's photos of each product from D1, oldest first", async () => {
    // More products than one `IN (...)` chunk, each with more photos than a card shows.
    const productIds: string[] = [];
    const expected = new Map<string, string[]>();
    for (let p = 0; p < 95; p++) productIds.push(`prd_${uid()}`);
    await env.DB.batch(
      productIds.map((id) =>
        env.DB.prepare("insert into products (id, title, description, created_at) values (?, ?, null, ?)").bind(
          id,
          `Many photos ${id}`,
          "2026-01-01T00:00:00Z",
        ),
      ),
    );
    for (const id of productIds) {
      // Out of id order in time, and two at one second: the order is by time, then id.
      const ids = await seedPhotoRows(
        id,
        7,
        (i) => `2026-01-01T00:00:${String(i === 6 ? 0 : 9 - i).padStart(2, "0")}Z`,
      );
      const order = ids
        .map((imageId, i) => ({ imageId, at: i === 6 ? 0 : 9 - i }))
        .sort((a, b) => a.at - b.at || (a.imageId < b.imageId ? -1 : 1));
      expected.set(
        id,
        order.slice(0, 4).map((o) => o.imageId),
      );
    }

    let rowsRead = 0;
    const counted = d1Batches((batch) => async (...args) => {
      const results = (await batch(...args)) as { results: unknown[] }[];
      for (const r of results) rowsRead += r.results.length;
      return results;
    });
    const images = await imagesOfProducts(database(counted), productIds, 4);
    expect(rowsRead).toBe(95 * 4);
    for (const id of productIds) {
      expect(images.get(id)?.map((u) => u.thumb)).toEqual(
        expected.get(id)!.map((imageId) => `/v1/product-images/${imageId}/thumb`),
      );
    }
  });

  it("shows the four oldest photos on a catalog card of a product with many", async () => {
    const s = await sellerOfNewProduct();
    const ids = await seedPhotoRows(s.productId, 9);
    const title = (await api("GET", `/v1/products/${s.productId}`)).body.title as string;
    const r = await api("GET", `/v1/catalog/products?search=${encodeURIComponent(title)}`);
    const card = (r.body.items as { productId: string; images: { thumb: string }[] }[]).find(
      (p) => p.productId === s.productId,
    );
    expect(card?.images.map((i) => i.thumb)).toEqual(ids.slice(0, 4).map((id) => `/v1/product-images/${id}/thumb`));
  });
});
