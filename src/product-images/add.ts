import { type ImageSize, MAX_IMAGE_PIXELS, MAX_PRODUCT_IMAGES, type ProductImage } from "../contracts/product-imports";
import { database } from "../db/client";
import {
  imageCountOf,
  imageExists,
  insertProductImage,
  productImageOfContent,
  vendorOffersProduct,
} from "../db/product-images";
import { findProduct } from "../db/products";
import { sha256Hex } from "../domain/crypto";
import { newId } from "../domain/ids";
import { imageDimensions, sniffImage } from "../domain/image-type";
import type { Principal } from "../domain/principal";
import { isoSeconds } from "../domain/time";
import { webpSizes } from "./sizes";

export type AddImageResult =
  | { ok: true; image: ProductImage; replayed: boolean }
  | { ok: false; code: "NOT_FOUND" }
  | { ok: false; code: "TOO_MANY_IMAGES"; detail: string; maxImages: number }
  | { ok: false; code: "UNSUPPORTED_MEDIA_TYPE"; detail: string }
  | { ok: false; code: "IMAGE_TOO_LARGE"; detail: string; width: number; height: number; maxPixels: number };

/** R2 key of one resized form; an image id never changes its bytes, so the key is never rewritten. */
export const imageKey = (imageId: string, size: ImageSize) => `product-images/${imageId}/${size}.webp`;

const full: AddImageResult = {
  ok: false,
  code: "TOO_MANY_IMAGES",
  detail: `A product has at most ${MAX_PRODUCT_IMAGES} photos; delete one before adding another`,
  maxImages: MAX_PRODUCT_IMAGES,
};

/**
 * Adds a photo to a product: admins to any, a vendor only to a product it sells, a live offer of it
 * (else NOT_FOUND, as for a product that does not exist). The type is the one the bytes say; each size is stored before
 * the row that points at it, so the catalog never lists a photo whose files are missing. The same
 * bytes sent again for the product (a retried upload) answer its photo of them (`replayed`), once
 * decoded or not; files stored for a row that was not written are deleted again. A product holds at
 * most `MAX_PRODUCT_IMAGES` photos: another is TOO_MANY_IMAGES, and nothing of it is kept.
 */
export async function addProductImage(
  env: Env,
  who: Principal,
  productId: string,
  bytes: Uint8Array<ArrayBuffer>,
  now: Date,
): Promise<AddImageResult> {
  const db = database(env);
  const product = await findProduct(db, productId);
  if (!product) return { ok: false, code: "NOT_FOUND" };
  if (who.role === "vendor" && !(await vendorOffersProduct(db, who.vendorId, productId))) {
    return { ok: false, code: "NOT_FOUND" };
  }
  const contentSha256 = await sha256Hex(bytes);
  const earlier = await productImageOfContent(db, productId, contentSha256);
  if (earlier) return { ok: true, image: earlier, replayed: true };
  // Checked before decoding too, so a full product costs no decode; the insert checks again.
  if ((await imageCountOf(db, productId)) >= MAX_PRODUCT_IMAGES) return full;
  const type = sniffImage(bytes);
  const detail = "Send a JPEG, PNG or WebP photo";
  if (!type) return { ok: false, code: "UNSUPPORTED_MEDIA_TYPE", detail };
  // Checked before decoding: a decode past the cap would take more than the isolate's memory.
  const size = imageDimensions(type, bytes);
  if (!size)
    return { ok: false, code: "UNSUPPORTED_MEDIA_TYPE", detail: `${detail}; this one's header cannot be read` };
  if (size.width * size.height > MAX_IMAGE_PIXELS) {
    const mp = (pixels: number) => `${Math.round(pixels / 100_000) / 10} MP`;
    return {
      ok: false,
      code: "IMAGE_TOO_LARGE",
      detail:
        `At most ${mp(MAX_IMAGE_PIXELS)}; this photo is ${size.width} × ${size.height} ` +
        `(${mp(size.width * size.height)}). Send it at a smaller size.`,
      ...size,
      maxPixels: MAX_IMAGE_PIXELS,
    };
  }
  const photo = await webpSizes(type, bytes);
  if (!photo) return { ok: false, code: "UNSUPPORTED_MEDIA_TYPE", detail: `${detail}; these bytes do not decode` };

  const id = newId("img");
  const keys = photo.sizes.map((out) => imageKey(id, out.size));
  let inserted: ProductImage | undefined;
  try {
    for (const [i, out] of photo.sizes.entries()) {
      await env.PHOTOS.put(keys[i]!, out.bytes, {
        httpMetadata: { contentType: "image/webp", cacheControl: "public, max-age=31536000, immutable" },
        customMetadata: { width: String(out.width), height: String(out.height) },
      });
    }
    inserted = await insertProductImage(
      db,
      {
        id,
        productId,
        vendorId: who.role === "vendor" ? who.vendorId : null,
        width: photo.width,
        height: photo.height,
        contentSha256,
        createdAt: isoSeconds(now),
      },
      MAX_PRODUCT_IMAGES,
    );
  } catch (err) {
    // An insert reported failed may still have landed: its files stay with its row.
    if (!(await imageExists(db, id))) await env.PHOTOS.delete(keys);
    throw err;
  }
  if (inserted) return { ok: true, image: inserted, replayed: false };
  await env.PHOTOS.delete(keys);
  // The same photo sent twice at once: the other upload's row is the product's photo of these bytes.
  const winner = await productImageOfContent(db, productId, contentSha256);
  if (winner) return { ok: true, image: winner, replayed: true };
  // Else other photos took the last places while this one was decoded.
  return full;
}
