import { type ImageSize, MAX_IMAGE_PIXELS, type ProductImage } from "../contracts/product-imports";
import { database } from "../db/client";
import { insertProductImage, vendorOffersProduct } from "../db/product-images";
import { findProduct } from "../db/products";
import { newId } from "../domain/ids";
import { imageDimensions, sniffImage } from "../domain/image-type";
import type { Principal } from "../domain/principal";
import { isoSeconds } from "../domain/time";
import { webpSizes } from "./sizes";

export type AddImageResult =
  | { ok: true; image: ProductImage }
  | { ok: false; code: "NOT_FOUND" }
  | { ok: false; code: "UNSUPPORTED_MEDIA_TYPE"; detail: string }
  | { ok: false; code: "IMAGE_TOO_LARGE"; detail: string; width: number; height: number; maxPixels: number };

/** R2 key of one resized form; an image id never changes its bytes, so the key is never rewritten. */
export const imageKey = (imageId: string, size: ImageSize) => `product-images/${imageId}/${size}.webp`;

/**
 * Adds a photo to a product: admins to any, a vendor only to a product it sells, a live offer of it
 * (else NOT_FOUND, as for a product that does not exist). The type is the one the bytes say; each size is stored before
 * the row that points at it, so the catalog never lists a photo whose files are missing.
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
  for (const out of photo.sizes) {
    await env.PHOTOS.put(imageKey(id, out.size), out.bytes, {
      httpMetadata: { contentType: "image/webp", cacheControl: "public, max-age=31536000, immutable" },
      customMetadata: { width: String(out.width), height: String(out.height) },
    });
  }
  const image = await insertProductImage(db, {
    id,
    productId,
    vendorId: who.role === "vendor" ? who.vendorId : null,
    width: photo.width,
    height: photo.height,
    createdAt: isoSeconds(now),
  });
  return { ok: true, image };
}
