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
  description: "Immutable: cached for a year by browsers and the edge; a repeat with If-None-Match is 304.",
  request: { params: ProductImageParams },
  responses: {
    200: { description: "The image", content: { "image/webp": { schema: binary } } },
    304: { description: "Not modified" },
    ...problemResponses,
  },
});

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
    // The id is checked in D1 first, so a guessed key never reaches R2 for anything but a photo.
    const object = (await imageExists(database(c.env), imageId))
      ? await c.env.PHOTOS.get(imageKey(imageId, size), { onlyIf: c.req.raw.headers })
      : null;
    if (!object) throw notFound("image", imageId);
    const headers = new Headers({
      "content-type": "image/webp",
      "cache-control": "public, max-age=31536000, immutable",
      etag: object.httpEtag,
    });
    // R2 answers a matched If-None-Match with the object's metadata and no body.
    if (!("body" in object)) return new Response(null, { status: 304, headers });
    return new Response((object as R2ObjectBody).body, { status: 200, headers });
  });
