import { IMAGE_SIZES, type ImageSize } from "../contracts/product-imports";
import { areaResample, type Pixels } from "../domain/area-resample";
import { jpegOrientation, type PhotoType } from "../domain/image-type";
import { oriented } from "../domain/orientation";
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
  // Turned once small: the kept WebP carries no EXIF, and turning the full photo would copy it whole.
  const orientation = type === "image/jpeg" ? jpegOrientation(bytes) : 1;
  let from = original;
  const scaled = sizes.map((size) => {
    from = fitted(from, IMAGE_SIZES[size]);
    return from;
  });
  const turned = scaled.map((image) => oriented(image, orientation));
  const encoded = await encodeWebp(turned);
  const swaps = orientation >= 5;
  return {
    width: swaps ? original.height : original.width,
    height: swaps ? original.width : original.height,
    sizes: sizes.map((size, i) => ({ size, bytes: encoded[i]!, width: turned[i]!.width, height: turned[i]!.height })),
  };
}
