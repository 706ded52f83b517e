import JPEG_ENC from "@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm";
import encodeJpeg, { init as initJpegEncode } from "@jsquash/jpeg/encode";
import PNG from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm?module";
import encodePng, { init as initPngEncode } from "@jsquash/png/encode";

let ready: Promise<unknown> | undefined;
const codecs = () => (ready ??= Promise.all([initJpegEncode(JPEG_ENC), initPngEncode(PNG)]));

/** A width × height picture with a gradient, so the encoders have something to compress. */
type Pixels = Parameters<typeof encodePng>[0];

function pixels(width: number, height: number): Pixels {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = (x * 255) / width;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = 128;
      data[i + 3] = 255;
    }
  }
  return { data, width, height, colorSpace: "srgb" } as Pixels;
}

export async function jpegOf(width: number, height: number): Promise<Uint8Array> {
  await codecs();
  return new Uint8Array(await encodeJpeg(pixels(width, height), { quality: 85 }));
}

export async function pngOf(width: number, height: number): Promise<Uint8Array> {
  await codecs();
  return new Uint8Array(await encodePng(pixels(width, height)));
}
