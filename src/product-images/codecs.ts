// Workers may not compile WebAssembly from bytes at run time: the codecs' .wasm files are imported as
// compiled modules, bundled by wrangler (and served the same way by the test pool), and instantiated
// here instead of letting each codec fetch them from a URL (`?module` where the package types the
// file by its exports instead).
import mozjpegDecoder from "@jsquash/jpeg/codec/dec/mozjpeg_dec";
import JPEG_DEC from "@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm";
import { initEmscriptenModule } from "@jsquash/jpeg/utils";
import PNG_DEC from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm?module";
import decodePng, { init as initPngDecode } from "@jsquash/png/decode";
import webpDecoder from "@jsquash/webp/codec/dec/webp_dec";
import WEBP_DEC from "@jsquash/webp/codec/dec/webp_dec.wasm";
import webpEncoder from "@jsquash/webp/codec/enc/webp_enc_simd";
// The SIMD build: V8 in workerd always has SIMD.
import WEBP_ENC from "@jsquash/webp/codec/enc/webp_enc_simd.wasm";
import { defaultOptions as webpDefaults } from "@jsquash/webp/meta";
import type { Pixels } from "../domain/area-resample";
import type { PhotoType } from "../domain/image-type";

// A WebAssembly memory grows to the largest image its codec has held and never shrinks. The JPEG and
// WebP codecs are therefore instantiated for each photo and dropped with it, so a decoded photo's
// memory goes back to the isolate. The PNG decoder allows one instance only (wasm-bindgen) and keeps
// its high-water mark, which the pixel cap counts.

/** The pixels of an image whose type was sniffed from its bytes; null when they do not decode. */
export async function decodeImage(type: PhotoType, bytes: Uint8Array<ArrayBuffer>): Promise<Pixels | null> {
  try {
    if (type === "image/png") {
      await initPngDecode(PNG_DEC);
      const whole = bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
      return await decodePng(whole);
    }
    if (type === "image/jpeg") return (await initEmscriptenModule(mozjpegDecoder, JPEG_DEC)).decode(bytes, false);
    return (await initEmscriptenModule(webpDecoder, WEBP_DEC)).decode(bytes);
  } catch {
    return null;
  }
}

/** Encodes each image as WebP with one encoder, dropped after. */
export async function encodeWebp(images: Pixels[]): Promise<Uint8Array[]> {
  const encoder = await initEmscriptenModule(webpEncoder, WEBP_ENC);
  return images.map((image) => {
    const bytes = encoder.encode(image.data, image.width, image.height, { ...webpDefaults, quality: 80 });
    if (!bytes) throw new Error(`WebP encoding failed for a ${image.width} × ${image.height} image`);
    return bytes;
  });
}
