import { env } from "cloudflare:test";
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

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const be16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const be32 = (n: number) => [...be16(n >>> 16), ...be16(n & 0xffff)];
const le16 = (n: number) => [n & 0xff, (n >> 8) & 0xff];
const le24 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff];
const le32 = (n: number) => [...le16(n & 0xffff), ...le16(n >>> 16)];
const riff = (chunk: string, data: number[]) =>
  new Uint8Array([
    ...ascii("RIFF"),
    ...le32(12 + data.length),
    ...ascii("WEBP"),
    ...ascii(chunk),
    ...le32(data.length),
    ...data,
  ]);

/**
 * Only the header of an image that says it is width × height: what a reader of sizes sees, with no
 * pixel data behind it. The JPEG carries an EXIF-like APP1 whose embedded thumbnail has a 16 × 16
 * frame header of its own, which must not be taken for the photo's.
 */
export function headerOnly(
  format: "jpeg" | "png" | "webp-vp8" | "webp-vp8l" | "webp-vp8x",
  width: number,
  height: number,
): Uint8Array {
  const sof = (w: number, h: number) => [
    0xff,
    0xc0,
    ...be16(17),
    8,
    ...be16(h),
    ...be16(w),
    3,
    1,
    0x22,
    0,
    2,
    0x11,
    1,
    3,
    0x11,
    1,
  ];
  const app1 = [...ascii("Exif"), 0, 0, 0xff, 0xd8, ...sof(16, 16)];
  switch (format) {
    case "jpeg":
      return new Uint8Array([
        0xff,
        0xd8,
        0xff,
        0xe1,
        ...be16(2 + app1.length),
        ...app1,
        ...sof(width, height),
        0xff,
        0xd9,
      ]);
    case "png":
      return new Uint8Array([
        0x89,
        0x50,
        0x4e,
        0x47,
        0x0d,
        0x0a,
        0x1a,
        0x0a,
        ...be32(13),
        ...ascii("IHDR"),
        ...be32(width),
        ...be32(height),
        8,
        6,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
      ]);
    case "webp-vp8":
      return riff("VP8 ", [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, ...le16(width), ...le16(height), 0, 0]);
    case "webp-vp8l": {
      const bits = (width - 1) | ((height - 1) << 14);
      return riff("VP8L", [0x2f, ...le32(bits >>> 0), 0, 0, 0]);
    }
    case "webp-vp8x":
      return riff("VP8X", [0, 0, 0, 0, ...le24(width - 1), ...le24(height - 1)]);
  }
}

/**
 * `jpeg` with an EXIF APP1 segment saying `orientation`, in Intel ("II") or Motorola ("MM") byte
 * order, as a camera writes it after the start-of-image marker.
 */
export function withOrientation(jpeg: Uint8Array, orientation: number, order: "II" | "MM" = "II"): Uint8Array {
  const u16 = (n: number) => (order === "II" ? le16(n) : be16(n));
  const u32 = (n: number) => (order === "II" ? le32(n) : be32(n));
  // The TIFF header, one IFD entry (0x0112, SHORT, 1 value, held in the entry), no next IFD.
  const tiff = [
    ...ascii(order),
    ...u16(42),
    ...u32(8),
    ...u16(1),
    ...u16(0x0112),
    ...u16(3),
    ...u32(1),
    ...u16(orientation),
    0,
    0,
    ...u32(0),
  ];
  const body = [...ascii("Exif"), 0, 0, ...tiff];
  return new Uint8Array([0xff, 0xd8, 0xff, 0xe1, ...be16(2 + body.length), ...body, ...jpeg.subarray(2)]);
}

/** How many objects the photo bucket holds. */
export async function photoObjects(): Promise<number> {
  let n = 0;
  let cursor: string | undefined;
  do {
    const page = await env.PHOTOS.list({ prefix: "product-images/", ...(cursor ? { cursor } : {}) });
    n += page.objects.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return n;
}
