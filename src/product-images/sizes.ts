import { IMAGE_SIZES, type ImageSize } from "../contracts/product-imports";
import { areaResample, type Pixels } from "../domain/area-resample";
import type { PhotoType } from "../domain/image-type";
import { decodeImage, encodeWebp } from "./codecs";

/** `image` with `longest` pixels on its longer side at most, never enlarged. */
function fitted(image: Pixels, longest: number): Pixels {
  const scale = Math.min(1, longest / Math.max(image.width, image.height));
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  return areaResample(image, width, height);
}

/**
 * A photo's kept sizes as WebP; null when its bytes do not decode. Decoding through encoding awaits
 * no I/O, so two photos in one isolate never hold their pixels at the same time and the pixel cap
 * holds per isolate.
 */
export async function webpSizes(type: PhotoType, bytes: Uint8Array<ArrayBuffer>) {
  const original = await decodeImage(type, bytes);
  if (!original) return null;
  // Largest first, each made from the one before: only the first downscale reads the whole photo.
  const sizes = (Object.keys(IMAGE_SIZES) as ImageSize[]).sort((a, b) => IMAGE_SIZES[b] - IMAGE_SIZES[a]);
  let from = original;
  const scaled = sizes.map((size) => {
    from = fitted(from, IMAGE_SIZES[size]);
    return from;
  });
  const encoded = await encodeWebp(scaled);
  return {
    width: original.width,
    height: original.height,
    sizes: sizes.map((size, i) => ({ size, bytes: encoded[i]!, width: scaled[i]!.width, height: scaled[i]!.height })),
  };
}
