import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { newProduct, newSku, newVendorWithToken } from "../support/catalog";
import { jpegOf } from "../support/images";

// A product card is shared by every vendor selling the item; whoever listed it first wrote its
// title and description, and any seller may add photos to it. Ops and admins correct the card,
// and a seller takes back a photo it added.

const patch = (productId: string, token: string, body: unknown, headers: Record<string, string> = {}) =>
  api("PATCH", `/v1/products/${productId}`, { token, body, headers });
const addPhoto = async (productId: string, token: string, width: number, height: number) => {
  const r = await api("POST", `/v1/products/${productId}/images`, {
    token,
    rawBody: await jpegOf(width, height),
    headers: { "content-type": "image/jpeg" },
  });
  if (r.status !== 201) throw new Error(`photo: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { id: string; urls: { thumb: string; medium: string } };
};
const remove = (productId: string, imageId: string, token: string, headers: Record<string, string> = {}) =>
  api("DELETE", `/v1/products/${productId}/images/${imageId}`, { token, headers });
const photoIds = async (productId: string) =>
  ((await api("GET", `/v1/products/${productId}/images`, { token: ADMIN })).body.items as { id: string }[]).map(
    (i) => i.id,
  );
const storedSizes = async (imageId: string) =>
  (await env.PHOTOS.list({ prefix: `product-images/${imageId}/` })).objects.map((o) => o.key).sort();

/** A product two vendors sell, as the catalog lists it. */
async function sharedProduct(title: string) {
  const first = await newVendorWithToken();
  const second = await newVendorWithToken();
  const product = await newProduct(title);
  await newSku(first.vendorId, product.id);
  await newSku(second.vendorId, product.id);
  return { productId: product.id as string, first, second };
}

async function catalogCard(productId: string, search: string) {
  const r = await api("GET", `/v1/catalog/products?search=${encodeURIComponent(search)}&limit=100`);
  return (r.body.items as { productId: string; title: string; images: { thumb: string }[] }[]).find(
    (p) => p.productId === productId,
  );
}

describe("PATCH /v1/products/{productId}", () => {
  it("lets ops and admins correct the title and description every seller shows, seen on the next read", async () => {
    const tag = uid("fix");
    const s = await sharedProduct(`Wrnog tilte ${tag}`);
    await api("POST", "/v1/products", { token: ADMIN, body: { title: `Other ${tag}` } });
    const ops = await tokenFor("ops");

    const fixed = await patch(s.productId, ops, { title: `  Right title ${tag} `, description: "Cotton, 180 gsm" });
    expect(fixed.status).toBe(200);
    expect(fixed.body).toMatchObject({ id: s.productId, title: `Right title ${tag}`, description: "Cotton, 180 gsm" });
    expect((await api("GET", `/v1/products/${s.productId}`)).body).toMatchObject({
      title: `Right title ${tag}`,
      description: "Cotton, 180 gsm",
    });
    expect((await catalogCard(s.productId, tag))?.title).toBe(`Right title ${tag}`);

    // Only what is sent changes; an empty or null description clears it.
    const titleOnly = await patch(s.productId, ADMIN, { title: `Righter ${tag}` });
    expect(titleOnly.body).toMatchObject({ title: `Righter ${tag}`, description: "Cotton, 180 gsm" });
    expect((await patch(s.productId, ADMIN, { description: "" })).body.description).toBeNull();
    await patch(s.productId, ADMIN, { description: "again" });
    expect((await patch(s.productId, ADMIN, { description: null })).body).toMatchObject({
      title: `Righter ${tag}`,
      description: null,
    });
  });

  it("is ops' and admins' only: a seller, even the first, cannot rewrite the shared card", async () => {
    const s = await sharedProduct(`Card ${uid()}`);
    const shopper = await newCustomer();
    for (const token of [s.first.token, s.second.token, shopper.token]) {
      expect((await patch(s.productId, token, { title: "Mine now" })).status).toBe(403);
    }
    expect((await api("PATCH", `/v1/products/${s.productId}`, { body: { title: "Anon" } })).status).toBe(401);
    expect((await api("GET", `/v1/products/${s.productId}`)).body.title).not.toBe("Mine now");
  });

  it("validates as create does, and answers 404 for an unknown product", async () => {
    const s = await sharedProduct(`Valid ${uid()}`);
    for (const body of [
      { title: "" },
      { title: "   " },
      { title: "x".repeat(201) },
      { description: "x".repeat(4001) },
      { title: "ok", price: 1 },
      { title: 5 },
    ]) {
      const r = await patch(s.productId, ADMIN, body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
    }
    const missing = await patch(uid("prd_"), ADMIN, { title: "Nothing" });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("NOT_FOUND");
  });

  it("replays a retry with the same Idempotency-Key", async () => {
    const s = await sharedProduct(`Keyed ${uid()}`);
    const key = uid("pk-");
    const first = await patch(s.productId, ADMIN, { title: "Keyed fixed" }, { "Idempotency-Key": key });
    expect(first.status).toBe(200);
    const again = await patch(s.productId, ADMIN, { title: "Keyed fixed" }, { "Idempotency-Key": key });
    expect(again.status).toBe(200);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect((await patch(s.productId, ADMIN, { title: "Other" }, { "Idempotency-Key": key })).status).toBe(422);
  });
});

describe("DELETE /v1/products/{productId}/images/{imageId}", () => {
  it("lets a seller delete a photo it added, row and stored sizes, and the card shows the next oldest", async () => {
    const tag = uid("photo");
    const s = await sharedProduct(`Photo card ${tag}`);
    const wrong = await addPhoto(s.productId, s.second.token, 300, 200);
    const right = await addPhoto(s.productId, s.first.token, 200, 300);
    expect((await catalogCard(s.productId, tag))?.images.map((i) => i.thumb)).toEqual([
      wrong.urls.thumb,
      right.urls.thumb,
    ]);
    expect(await storedSizes(wrong.id)).toHaveLength(2);

    // Another seller's photo is not there, as far as this vendor can tell.
    const others = await remove(s.productId, wrong.id, s.first.token);
    expect(others.status).toBe(404);
    expect(others.body.code).toBe("NOT_FOUND");
    expect(await photoIds(s.productId)).toEqual([wrong.id, right.id]);

    expect((await remove(s.productId, wrong.id, s.second.token)).status).toBe(204);
    expect(await photoIds(s.productId)).toEqual([right.id]);
    expect(await storedSizes(wrong.id)).toEqual([]);
    expect((await api("GET", wrong.urls.thumb)).status).toBe(404);
    expect((await catalogCard(s.productId, tag))?.images.map((i) => i.thumb)).toEqual([right.urls.thumb]);

    // Deleting it again finds nothing.
    expect((await remove(s.productId, wrong.id, s.second.token)).status).toBe(404);
    expect((await remove(s.productId, wrong.id, ADMIN)).status).toBe(404);
  });

  it("lets ops and admins delete any photo, a vendor's or an admin's", async () => {
    const s = await sharedProduct(`Any photo ${uid()}`);
    const vendors = await addPhoto(s.productId, s.first.token, 240, 160);
    const admins = await addPhoto(s.productId, ADMIN, 160, 240);
    const third = await addPhoto(s.productId, s.second.token, 180, 180);
    // An admin's photo is no vendor's to delete.
    expect((await remove(s.productId, admins.id, s.first.token)).status).toBe(404);
    const ops = await tokenFor("ops");
    expect((await remove(s.productId, vendors.id, ops)).status).toBe(204);
    expect((await remove(s.productId, admins.id, ADMIN)).status).toBe(204);
    expect(await photoIds(s.productId)).toEqual([third.id]);
    expect(await storedSizes(vendors.id)).toEqual([]);
    expect(await storedSizes(admins.id)).toEqual([]);
  });

  it("answers 404 for a photo of another product, an unknown one, and to shoppers 403", async () => {
    const s = await sharedProduct(`Elsewhere ${uid()}`);
    const other = await sharedProduct(`Other ${uid()}`);
    const photo = await addPhoto(s.productId, s.first.token, 210, 140);
    expect((await remove(other.productId, photo.id, ADMIN)).status).toBe(404);
    expect((await remove(s.productId, uid("img_"), ADMIN)).status).toBe(404);
    const shopper = await newCustomer();
    expect((await remove(s.productId, photo.id, shopper.token)).status).toBe(403);
    expect((await api("DELETE", `/v1/products/${s.productId}/images/${photo.id}`)).status).toBe(401);
    expect(await photoIds(s.productId)).toEqual([photo.id]);
    expect(await storedSizes(photo.id)).toHaveLength(2);
  });

  it("answers a retry with the same Idempotency-Key as the delete it repeats", async () => {
    const s = await sharedProduct(`Keyed photo ${uid()}`);
    const photo = await addPhoto(s.productId, s.first.token, 220, 150);
    const key = uid("dk-");
    expect((await remove(s.productId, photo.id, s.first.token, { "Idempotency-Key": key })).status).toBe(204);
    const again = await remove(s.productId, photo.id, s.first.token, { "Idempotency-Key": key });
    expect(again.status).toBe(204);
    expect(await photoIds(s.productId)).toEqual([]);
  });
});
