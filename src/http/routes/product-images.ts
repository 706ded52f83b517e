import { z } from "@hono/zod-openapi";
import { ProductParams } from "../../contracts/catalog";
import { json, problemResponses } from "../../contracts/common";
import {
  MAX_IMAGE_BYTES,
  MAX_IMAGE_PIXELS,
  MAX_PRODUCT_IMAGES,
  ProductImage,
  ProductImageOfProductParams,
  ProductImageParams,
} from "../../contracts/product-imports";
import { database } from "../../db/client";
import { imageExists, productImagesOf } from "../../db/product-images";
import { findProduct } from "../../db/products";
import { addProductImage, imageKey } from "../../product-images/add";
import { removeProductImage } from "../../product-images/remove";
import { requireRole, seesAsPublic } from "../auth";
import { router } from "../context";
import { ApiError } from "../errors";
import { defineRoute } from "../route";
import { notFound } from "../scope";

const binary = z.string().openapi({ format: "binary" });
const MB = MAX_IMAGE_BYTES / 1024 / 1024;

const add = defineRoute({
  method: "post",
  path: "/products/{productId}/images",
  access: ["admin", "vendor"],
  summary: `Add a photo to a product (JPEG, PNG or WebP, at most ${MB} MB)`,
  description:
    "A vendor only to a product it sells: an active SKU of it, the vendor approved and active (else 404). The type is read from the bytes, whatever the header says: " +
    `anything but JPEG, PNG or WebP, or a header that cannot be read, is 415; larger than ${MB} MB is 413; ` +
    `more than ${MAX_IMAGE_PIXELS / 1_000_000} MP by its header is 422 IMAGE_TOO_LARGE, before any decoding. Stored resized (thumb 200, medium 800 ` +
    "pixels on the longer side, WebP); the original is not kept. The same bytes sent again for the product " +
    "(a retried upload) answer 200 with its photo of them, and nothing more is stored. " +
    `A product has at most ${MAX_PRODUCT_IMAGES} photos: another is 409 CONFLICT (with maxImages), and nothing is stored.`,
  request: { params: ProductParams, body: { required: true, content: { "image/*": { schema: binary } } } },
  responses: {
    200: json(ProductImage, "The product's photo of these bytes, stored before"),
    201: json(ProductImage, "Stored in its resized forms"),
    ...problemResponses,
  },
});

const list = defineRoute({
  method: "get",
  path: "/products/{productId}/images",
  access: "public",
  summary: "A product's photos, oldest first",
  request: { params: ProductParams },
  responses: { 200: json(z.object({ items: z.array(ProductImage) }), "The photos"), ...problemResponses },
});

const remove = defineRoute({
  method: "delete",
  path: "/products/{productId}/images/{imageId}",
  access: ["admin", "ops", "vendor"],
  summary: "Delete a product photo",
  description:
    "Admins and ops any photo; a vendor only one it added itself (another's is 404, as one that is not there). " +
    "The photo and its stored sizes are deleted; deleting it again is 404.",
  request: { params: ProductImageOfProductParams },
  responses: { 204: { description: "Deleted" }, ...problemResponses },
});

const serve = defineRoute({
  method: "get",
  path: "/product-images/{imageId}/{size}",
  access: "public",
  summary: "One resized form of a product photo (WebP)",
  description:
    "Immutable: cached for a year by browsers and the edge; a repeat with If-None-Match is 304, an If-Match that does not hold 412 PRECONDITION_FAILED. " +
    "A malformed If-None-Match or If-Match is ignored (the photo is served); the photo has no Last-Modified, so date conditions are ignored too.",
  request: { params: ProductImageParams },
  responses: {
    200: { description: "The image", content: { "image/webp": { schema: binary } } },
    304: { description: "Not modified" },
    ...problemResponses,
  },
});

// RFC 9110 8.8.3: an entity-tag is an optionally weak quoted string; If-Match and If-None-Match
// carry "*" or a comma-separated list of them.
const ENTITY_TAG = String.raw`(?:W/)?"[\x21\x23-\x7e]*"`;
const ETAG_LIST = new RegExp(String.raw`^(?:\*|${ENTITY_TAG}(?:[ \t]*,[ \t]*${ENTITY_TAG})*)$`);

/**
 * The header's value if it is "*" or a well-formed entity-tag list, else undefined: workerd throws
 * on a malformed one (an unquoted tag, two without a comma), and a header the server cannot parse
 * is ignored rather than failing a public read.
 */
function etagList(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed && ETAG_LIST.test(trimmed) ? trimmed : undefined;
}

/** If-Match's strong comparison (RFC 9110 13.1.1): "*", or the very tag, a weak one never matching. */
function strongMatch(list: string, etag: string): boolean {
  return list === "*" || list.match(new RegExp(ENTITY_TAG, "g"))?.includes(etag) === true;
}

export const productImages = router()
  .openapi(add, async (c) => {
    const who = requireRole(c, "admin", "vendor");
    const { productId } = c.req.valid("param");
    if (Number(c.req.header("content-length") ?? 0) > MAX_IMAGE_BYTES)
      throw new ApiError("PAYLOAD_TOO_LARGE", `At most ${MB} MB`);
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length > MAX_IMAGE_BYTES) throw new ApiError("PAYLOAD_TOO_LARGE", `At most ${MB} MB`);
    const result = await addProductImage(c.env, who, productId, bytes, new Date());
    if (!result.ok) {
      if (result.code === "NOT_FOUND") throw notFound("product", productId);
      if (result.code === "TOO_MANY_IMAGES")
        throw new ApiError("CONFLICT", result.detail, { maxImages: result.maxImages });
      if (result.code === "IMAGE_TOO_LARGE") {
        const { width, height, maxPixels } = result;
        throw new ApiError("IMAGE_TOO_LARGE", result.detail, { width, height, maxPixels });
      }
      throw new ApiError("UNSUPPORTED_MEDIA_TYPE", result.detail);
    }
    return c.json(result.image, result.replayed ? 200 : 201);
  })
  .openapi(list, async (c) => {
    const { productId } = c.req.valid("param");
    const db = database(c.env);
    // A product no vendor sells yet (or any longer) is not the public's, nor are its photos.
    if (!(await findProduct(db, productId, { soldOnly: seesAsPublic(c) }))) throw notFound("product", productId);
    return c.json({ items: await productImagesOf(db, productId) }, 200);
  })
  .openapi(remove, async (c) => {
    const who = requireRole(c, "admin", "ops", "vendor");
    const { productId, imageId } = c.req.valid("param");
    const result = await removeProductImage(c.env, who, productId, imageId);
    if (!result.ok) throw notFound("image", imageId);
    return c.body(null, 204);
  })
  .openapi(serve, async (c) => {
    const { imageId, size } = c.req.valid("param");
    // Only well-formed entity-tag conditions go to R2. The photo publishes no Last-Modified, so a
    // date condition has nothing to compare with (RFC 9110 13.1.3, 13.1.4) and is ignored.
    const ifMatch = etagList(c.req.header("if-match"));
    const ifNoneMatch = etagList(c.req.header("if-none-match"));
    const onlyIf = new Headers();
    if (ifMatch) onlyIf.set("if-match", ifMatch);
    if (ifNoneMatch) onlyIf.set("if-none-match", ifNoneMatch);
    // The id is checked in D1 first, so a guessed key never reaches R2 for anything but a photo.
    const object = (await imageExists(database(c.env), imageId))
      ? await c.env.PHOTOS.get(imageKey(imageId, size), { onlyIf })
      : null;
    if (!object) throw notFound("image", imageId);
    const headers = new Headers({
      "content-type": "image/webp",
      "cache-control": "public, max-age=31536000, immutable",
      etag: object.httpEtag,
    });
    // R2 answers a failed condition with the object's metadata and no body. If-Match is evaluated
    // first (RFC 9110 13.2.2): when it does not hold, that is the failure, 412; else If-None-Match
    // matched, 304.
    if (!("body" in object)) {
      if (ifMatch && !strongMatch(ifMatch, object.httpEtag)) throw new ApiError("PRECONDITION_FAILED");
      return new Response(null, { status: 304, headers });
    }
    return new Response((object as R2ObjectBody).body, { status: 200, headers });
  });
