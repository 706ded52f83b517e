import { IMAGE_SIZES, type ImageSize } from "../contracts/product-imports";
import { database } from "../db/client";
import { deleteProductImage, productImageOf } from "../db/product-images";
import type { Principal } from "../domain/principal";
import { imageKey } from "./add";

export type RemoveImageResult = { ok: true } | { ok: false; code: "NOT_FOUND" };

/**
 * Deletes a product's photo: admins and ops any, a vendor only one it added itself (another's is
 * NOT_FOUND, as a photo that is not there). The row goes first, so the catalog never lists a photo
 * whose files are gone; the files follow. If deleting them fails they are left unreachable, since
 * the image route serves only ids D1 still has. A second delete finds no row: NOT_FOUND.
 */
export async function removeProductImage(
  env: Env,
  who: Extract<Principal, { role: "admin" | "ops" | "vendor" }>,
  productId: string,
  imageId: string,
): Promise<RemoveImageResult> {
  const db = database(env);
  const image = await productImageOf(db, productId, imageId);
  if (!image) return { ok: false, code: "NOT_FOUND" };
  if (who.role === "vendor" && image.vendorId !== who.vendorId) return { ok: false, code: "NOT_FOUND" };
  // Two deletes at once: only the one that removed the row answers it removed.
  if (!(await deleteProductImage(db, imageId))) return { ok: false, code: "NOT_FOUND" };
  await env.PHOTOS.delete((Object.keys(IMAGE_SIZES) as ImageSize[]).map((size) => imageKey(imageId, size)));
  return { ok: true };
}
