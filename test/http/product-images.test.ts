import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { imageDimensions } from "../../src/domain/image-type";
import { addProductImage } from "../../src/product-images/add";
import { decodeImage } from "../../src/product-images/codecs";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { d1Statements } from "../support/bindings";
import { inr, newProduct, newSku, newVendorWithToken } from "../support/catalog";
import { headerOnly, jpegOf, photoObjects, pngOf, withOrientation } from "../support/images";

const post = (productId: string, token: string, bytes: BodyInit, type = "image/jpeg") =>
  api("POST", `/v1/products/${productId}/images`, { token, rawBody: bytes, headers: { "content-type": type } });

async function sellerOfNewProduct(title?: string) {
  const v = await newVendorWithToken();
  const product = await newProduct(title);
  await newSku(v.vendorId, product.id);
  return { ...v, productId: product.id as string };
}

describe("product images", () => {
  it("stores a phone photo resized to thumb and medium in R2, served with long-lived caching", async () => {
    const s = await sellerOfNewProduct();
    const r = await post(s.productId, s.token, await jpegOf(1200, 1600));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ productId: s.productId, width: 1200, height: 1600 });
    for (const [size, want] of [
      ["thumb", [150, 200]],
      ["medium", [600, 800]],
    ] as const) {
      const object = await env.PHOTOS.get(`product-images/${r.body.id}/${size}.webp`);
      expect(object).not.toBeNull();
      const pixels = await decodeImage("image/webp", new Uint8Array(await object!.arrayBuffer()));
      expect([pixels!.width, pixels!.height]).toEqual(want);
    }
    const served = await api("GET", r.body.urls.thumb);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/webp");
    expect(served.headers.get("cache-control")).toContain("immutable");
    const again = await api("GET", r.body.urls.thumb, { headers: { "if-none-match": served.headers.get("etag")! } });
    expect(again.status).toBe(304);
  });

  it("lists a product's photos to the public only while some vendor sells it", async () => {
    const v = await newVendorWithToken();
    const product = await newProduct();
    const sku = await newSku(v.vendorId, product.id);
    expect((await post(product.id, v.token, await jpegOf(320, 240))).status).toBe(201);
    expect((await api("GET", `/v1/products/${product.id}/images`)).body.items).toHaveLength(1);
    expect((await api("PATCH", `/v1/skus/${sku.id}`, { token: ADMIN, body: { status: "inactive" } })).status).toBe(200);
    expect((await api("GET", `/v1/products/${product.id}/images`)).status).toBe(404);
    const shopper = await newCustomer();
    expect((await api("GET", `/v1/products/${product.id}/images`, { token: shopper.token })).status).toBe(404);
    const seller = await api("GET", `/v1/products/${product.id}/images`, { token: v.token });
    expect(seller.body.items).toHaveLength(1);
  });

  it("answers the same photo sent again for the product with that photo (200), stored once", async () => {
    const s = await sellerOfNewProduct();
    const before = await photoObjects();
    const bytes = await jpegOf(640, 480);
    const first = await post(s.productId, s.token, bytes);
    expect(first.status).toBe(201);
    const again = await post(s.productId, s.token, bytes);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);

    // Sent twice at once: one photo, whichever upload stores it.
    const twice = await jpegOf(480, 640);
    const both = await Promise.all([post(s.productId, s.token, twice), post(s.productId, s.token, twice)]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 201]);
    expect(both[0]!.body.id).toBe(both[1]!.body.id);

    const admins = await post(s.productId, ADMIN, bytes);
    expect(admins.status).toBe(200);
    expect(admins.body.id).toBe(first.body.id);
    const listed = await api("GET", `/v1/products/${s.productId}/images`);
    expect(listed.body.items.map((i: { id: string }) => i.id)).toEqual([first.body.id, both[0]!.body.id]);
    // Two photos in two sizes: nothing is left of the uploads that found their photo stored.
    expect((await photoObjects()) - before).toBe(4);

    // The same bytes are another product's own photo.
    const other = await sellerOfNewProduct();
    const theirs = await post(other.productId, other.token, bytes);
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(first.body.id);
  });

  it("deletes the sizes it stored when the photo's row cannot be written", async () => {
    const s = await sellerOfNewProduct();
    const trigger = uid("refuse_photo_").replaceAll("-", "_");
    await env.DB.prepare(
      `create trigger ${trigger} before insert on product_images when new.product_id = '${s.productId}'
       begin select raise(abort, 'refused'); end`,
    ).run();
    try {
      const before = await photoObjects();
      const r = await post(s.productId, s.token, await jpegOf(320, 240));
      expect(r.status).toBe(500);
      expect(await photoObjects()).toBe(before);
    } finally {
      await env.DB.prepare(`drop trigger ${trigger}`).run();
    }
    expect((await post(s.productId, s.token, await jpegOf(320, 240))).status).toBe(201);
  });

  it("keeps the sizes of a photo whose row was written though D1 answered with an error", async () => {
    const s = await sellerOfNewProduct();
    // The insert lands, then its answer is lost on the way back.
    const lostAnswer = d1Statements((call, sql) =>
      sql.startsWith('insert into "product_images"')
        ? async (...args) => {
            await call(...args);
            throw new Error("D1_ERROR: Network connection lost.");
          }
        : call,
    );
    const bytes = (await jpegOf(300, 200)) as Uint8Array<ArrayBuffer>;
    const failed = await addProductImage(lostAnswer, { role: "admin", tokenId: "t" }, s.productId, bytes, new Date())
      .then(() => "answered")
      .catch((err: Error) => String((err.cause as Error | undefined)?.message ?? err.message));
    expect(failed).toContain("Network connection lost");

    // The retry finds the photo, and its files are there.
    const retried = await post(s.productId, s.token, bytes);
    expect(retried.status).toBe(200);
    expect((await api("GET", retried.body.urls.thumb)).status).toBe(200);
    expect((await api("GET", retried.body.urls.medium)).status).toBe(200);
  });

  it("never enlarges a small picture and takes PNG declared as anything, by its bytes", async () => {
    const s = await sellerOfNewProduct();
    const r = await post(s.productId, s.token, await pngOf(120, 90), "application/octet-stream");
    expect(r.status).toBe(201);
    const object = await env.PHOTOS.get(`product-images/${r.body.id}/medium.webp`);
    const pixels = await decodeImage("image/webp", new Uint8Array(await object!.arrayBuffer()));
    expect([pixels!.width, pixels!.height]).toEqual([120, 90]);
  });

  it("answers 415 for bytes that are not an image, whatever the declared type, and stores nothing", async () => {
    const s = await sellerOfNewProduct();
    const gif = new TextEncoder().encode("GIF89a....not a photo");
    const r = await post(s.productId, s.token, gif, "image/jpeg");
    expect(r.status).toBe(415);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    // JPEG magic with nothing decodable after it.
    const broken = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
    expect((await post(s.productId, s.token, broken)).status).toBe(415);
    expect((await api("GET", `/v1/products/${s.productId}/images`)).body.items).toEqual([]);
  });

  it("refuses a photo over 4 MP by its header, before decoding it, with 422 and nothing stored", async () => {
    const s = await sellerOfNewProduct();
    const stored = async () => (await env.PHOTOS.list({ prefix: "product-images/" })).objects.length;
    const before = await stored();
    // A phone's 12 MP photo sent straight, a 48 MP one (~190 MB of RGBA alone), one pixel row past the
    // cap, and 65535 × 65535, the most a JPEG header can say.
    const cases = [
      ["jpeg", 4032, 3024],
      ["jpeg", 2309, 1733],
      ["jpeg", 8000, 6000],
      ["png", 8000, 6000],
      ["webp-vp8", 8000, 6000],
      ["webp-vp8l", 8000, 6000],
      ["webp-vp8x", 8000, 6000],
      ["jpeg", 65535, 65535],
    ] as const;
    for (const [format, width, height] of cases) {
      const r = await post(s.productId, s.token, headerOnly(format, width, height), "image/jpeg");
      expect(r.status, format).toBe(422);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.body).toMatchObject({ code: "IMAGE_TOO_LARGE", width, height, maxPixels: 4_000_000 });
      expect(r.body.detail).toContain("At most 4 MP");
      expect(r.body.detail).toContain(`${width} × ${height}`);
    }
    expect((await api("GET", `/v1/products/${s.productId}/images`)).body.items).toEqual([]);
    expect(await stored()).toBe(before);
  });

  it("takes a photo at the cap (2309 × 1732, 4 MP)", async () => {
    const s = await sellerOfNewProduct();
    const r = await post(s.productId, s.token, await jpegOf(2309, 1732));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ width: 2309, height: 1732 });
    // The stored WebP (lossy VP8) is read by the same header reader.
    const thumb = await env.PHOTOS.get(`product-images/${r.body.id}/thumb.webp`);
    expect(imageDimensions("image/webp", new Uint8Array(await thumb!.arrayBuffer()))).toEqual({
      width: 200,
      height: 150,
    });
  });

  it("turns a JPEG as its EXIF orientation says, since the kept WebP carries none", async () => {
    const s = await sellerOfNewProduct();
    // Stored 40 × 20, red growing left to right; orientation 6: shown turned a quarter clockwise.
    const r = await post(s.productId, s.token, withOrientation(await jpegOf(40, 20), 6));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ width: 20, height: 40 });
    const object = await env.PHOTOS.get(`product-images/${r.body.id}/medium.webp`);
    const shown = (await decodeImage("image/webp", new Uint8Array(await object!.arrayBuffer())))!;
    expect([shown.width, shown.height]).toEqual([20, 40]);
    // The stored left edge is now the top: red grows from top to bottom.
    const red = (x: number, y: number) => shown.data[(y * shown.width + x) * 4]!;
    expect(red(10, 1)).toBeLessThan(40);
    expect(red(10, 38)).toBeGreaterThan(200);
  });

  it("answers 415 for an image whose header is cut short or corrupt, and stores nothing", async () => {
    const s = await sellerOfNewProduct();
    const png = await pngOf(30, 20);
    const jpeg = await jpegOf(30, 20);
    const sofAt = jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === 0xc0);
    const noFrame = headerOnly("jpeg", 10, 10).slice(0, 30); // ends inside the EXIF segment
    const zeroWide = headerOnly("png", 0, 10);
    const badVp8 = headerOnly("webp-vp8", 10, 10).map((b, i) => (i === 23 ? 0 : b)); // no VP8 start code
    for (const bytes of [
      png.slice(0, 20),
      jpeg.slice(0, sofAt + 6),
      noFrame,
      zeroWide,
      badVp8,
      headerOnly("webp-vp8x", 10, 10).slice(0, 27),
    ]) {
      const r = await post(s.productId, s.token, bytes);
      expect(r.status).toBe(415);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
    }
    expect((await api("GET", `/v1/products/${s.productId}/images`)).body.items).toEqual([]);
  });

  it("answers 413 for a photo over 10 MB", async () => {
    const s = await sellerOfNewProduct();
    const big = new Uint8Array(10 * 1024 * 1024 + 1);
    big.set([0xff, 0xd8, 0xff]);
    const r = await post(s.productId, s.token, big);
    expect(r.status).toBe(413);
  });

  it("a vendor adds photos only to products it sells (404 otherwise); admins to any", async () => {
    const s = await sellerOfNewProduct();
    const stranger = await newVendorWithToken();
    const photo = await jpegOf(40, 40);
    expect((await post(s.productId, stranger.token, photo)).status).toBe(404);
    expect((await post("prd_missing", s.token, photo)).status).toBe(404);
    expect((await post(s.productId, ADMIN, photo)).status).toBe(201);
  });

  it("a vendor whose offer of the product is not live (a draft vendor's, an inactive SKU) adds no photo to it", async () => {
    const title = `Listed ${uid()}`;
    const seller = await sellerOfNewProduct(title);
    const invite = await api("POST", "/v1/onboarding/invites", {
      token: await tokenFor("ops"),
      body: { email: `${uid("d")}@shop.example` },
    });
    const secret = new URL(invite.body.link).hash.replace(/^#invite=/, "");
    const draft = (await api("POST", "/v1/onboarding/invites/accept", { body: { token: secret } })).body as {
      vendorId: string;
      token: string;
    };
    // A draft may list an offer of another seller's product; it sells nothing until ops approve it.
    const offered = await api("POST", "/v1/skus", {
      token: draft.token,
      body: {
        vendorId: draft.vendorId,
        productId: seller.productId,
        code: uid("X-"),
        title: "x",
        price: inr(100),
        barcode: uid("77"),
      },
    });
    expect(offered.status).toBe(201);
    const paused = await newVendorWithToken();
    const pausedSku = await newSku(paused.vendorId, seller.productId);
    const off = await api("PATCH", `/v1/skus/${pausedSku.id}`, { token: ADMIN, body: { status: "inactive" } });
    expect(off.status).toBe(200);
    const photo = await jpegOf(40, 40);

    for (const v of [draft, paused]) {
      const r = await post(seller.productId, v.token, photo);
      expect(r.status).toBe(404);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
    }
    expect((await api("GET", `/v1/products/${seller.productId}/images`)).body.items).toEqual([]);
    const catalog = await api("GET", `/v1/catalog/products?search=${encodeURIComponent(title)}`);
    expect(catalog.body.items).toEqual([
      expect.objectContaining({ productId: seller.productId, sellers: 1, images: [] }),
    ]);
  });

  it("the storefront's catalog lists each product's image URLs", async () => {
    const title = `Photographed ${Date.now()}`;
    const s = await sellerOfNewProduct(title);
    const r = await post(s.productId, s.token, await jpegOf(300, 300));
    const catalog = await api("GET", `/v1/catalog/products?search=${encodeURIComponent(title)}`);
    expect(catalog.status).toBe(200);
    expect(catalog.body.items).toEqual([expect.objectContaining({ productId: s.productId, images: [r.body.urls] })]);
    expect((await api("GET", r.body.urls.medium)).status).toBe(200);
  });
});
