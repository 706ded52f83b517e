// Workers may not compile WebAssembly from bytes at run time: the codecs' .wasm files are imported as
// compiled modules, bundled by wrangler (and served the same way by the test pool), and handed to each
// codec's init instead of letting it fetch them from a URL (`?module` where the package types the
// file by its exports instead).
import JPEG_DEC from "@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm";
import decodeJpeg, { init as initJpegDecode } from "@jsquash/jpeg/decode";
import PNG_DEC from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm?module";
import decodePng, { init as initPngDecode } from "@jsquash/png/decode";
import resize, { initResize } from "@jsquash/resize";
import RESIZE from "@jsquash/resize/lib/resize/pkg/squoosh_resize_bg.wasm?module";
import WEBP_DEC from "@jsquash/webp/codec/dec/webp_dec.wasm";
// The encoder picks its SIMD build whenever the engine has SIMD, which V8 in workerd always has.
import WEBP_ENC from "@jsquash/webp/codec/enc/webp_enc_simd.wasm";
import decodeWebp, { init as initWebpDecode } from "@jsquash/webp/decode";
import encodeWebp, { init as initWebpEncode } from "@jsquash/webp/encode";
import type { PhotoType } from "../domain/image-type";

export type Pixels = { data: Uint8ClampedArray; width: number; height: number };

let ready: Promise<unknown> | undefined;

/** Instantiates the codecs once per isolate, on the first image. */
function codecs(): Promise<unknown> {
  ready ??= Promise.all([
    initJpegDecode(JPEG_DEC),
    initPngDecode(PNG_DEC),
    initWebpDecode(WEBP_DEC),
    initWebpEncode(WEBP_ENC),
    initResize(RESIZE),
  ]);
  return ready;
}

/** The pixels of an image whose type was sniffed from its bytes; null when they do not decode. */
export async function decodeImage(type: PhotoType, bytes: ArrayBuffer): Promise<Pixels | null> {
  await codecs();
  try {
    if (type === "image/jpeg") return await decodeJpeg(bytes);
    if (type === "image/png") return await decodePng(bytes);
    return await decodeWebp(bytes);
  } catch {
    return null;
  }
}

/** `image` scaled to fit `longest` on its longer side (never enlarged), encoded as WebP. */
export async function webpOfSize(
  image: Pixels,
  longest: number,
): Promise<{ bytes: ArrayBuffer; width: number; height: number }> {
  await codecs();
  const scale = Math.min(1, longest / Math.max(image.width, image.height));
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const scaled =
    scale === 1 ? image : await resize(image as Parameters<typeof resize>[0], { width, height, method: "lanczos3" });
  return { bytes: await encodeWebp(scaled as Parameters<typeof encodeWebp>[0], { quality: 80 }), width, height };
}
