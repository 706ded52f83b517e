export const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"] as const;
export type PhotoType = (typeof PHOTO_TYPES)[number];

/** The image type the bytes themselves say, from their magic numbers; a declared type is not trusted. */
export function sniffImage(bytes: Uint8Array): PhotoType | null {
  const at = (i: number) => bytes[i] ?? -1;
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return "image/jpeg";
  if ([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => at(i) === b)) return "image/png";
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "image/webp";
  return null;
}

/**
 * The width and height an image's header declares, read before any pixel is decoded (JPEG: the
 * first SOF segment; PNG: IHDR; WebP: the VP8, VP8L or VP8X chunk); null when the header is
 * truncated, corrupt or declares an empty image.
 */
export function imageDimensions(type: PhotoType, bytes: Uint8Array): { width: number; height: number } | null {
  const size = type === "image/jpeg" ? jpegSize(bytes) : type === "image/png" ? pngSize(bytes) : webpSize(bytes);
  return size && size.width > 0 && size.height > 0 ? size : null;
}

const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u24le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
const text = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

function pngSize(b: Uint8Array) {
  if (b.length < 24 || text(b, 12, 4) !== "IHDR") return null;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

// Start-of-frame markers: C0-CF except DHT (C4), JPG (C8) and DAC (CC).
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** The JPEG's segments up to its scan, each as its marker and where it starts; stops at a corrupt one. */
function* jpegSegments(b: Uint8Array): Generator<{ marker: number; at: number }> {
  let i = 2;
  while (i + 1 < b.length) {
    if (b[i] !== 0xff) {
      i++; // stray bytes before a marker, which decoders skip too
      continue;
    }
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    if (marker === 0xda || marker === 0xd9 || i + 4 > b.length) return;
    yield { marker, at: i };
    const length = u16be(b, i + 2);
    if (length < 2) return;
    i += 2 + length;
  }
}

function jpegSize(b: Uint8Array) {
  // The first frame header: other segments (APPn with EXIF and its thumbnail's own SOF, DQT, DHT)
  // are skipped whole, and the scan (or the end) before any frame header leaves no size to read.
  for (const { marker, at } of jpegSegments(b)) {
    if (isSof(marker)) return at + 9 <= b.length ? { height: u16be(b, at + 5), width: u16be(b, at + 7) } : null;
  }
  return null;
}

/**
 * How a JPEG's pixels are to be turned to show as the camera held it: its EXIF orientation, 1 to 8
 * (1, as stored, when it has none or it cannot be read). Kept photos are WebP without EXIF, so the
 * turn has to be made to the pixels themselves.
 */
export function jpegOrientation(b: Uint8Array): number {
  for (const { marker, at } of jpegSegments(b)) {
    if (marker !== 0xe1 || text(b, at + 4, 6) !== "Exif\0\0") continue;
    const end = Math.min(b.length, at + 2 + u16be(b, at + 2));
    const tiff = at + 10;
    const order = text(b, tiff, 2);
    if (order !== "II" && order !== "MM") return 1;
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const little = order === "II";
    const u16 = (i: number) => (i + 2 <= end ? view.getUint16(i, little) : -1);
    const ifd = tiff + 4 + 4 <= end ? tiff + view.getUint32(tiff + 4, little) : end;
    const count = u16(ifd);
    for (let n = 0; n < count; n++) {
      const entry = ifd + 2 + n * 12;
      if (entry + 12 > end) break;
      // Orientation is a SHORT whose value sits in the entry itself.
      if (u16(entry) === 0x0112 && u16(entry + 2) === 3) {
        const value = u16(entry + 8);
        return value >= 1 && value <= 8 ? value : 1;
      }
    }
    return 1;
  }
  return 1;
}

function webpSize(b: Uint8Array) {
  const chunk = text(b, 12, 4);
  if (b.length < (chunk === "VP8L" ? 25 : 30)) return null;
  if (chunk === "VP8X") return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  if (chunk === "VP8L") {
    if (b[20] !== 0x2f) return null;
    const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === "VP8 ") {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return null;
    return { width: (b[26]! | (b[27]! << 8)) & 0x3fff, height: (b[28]! | (b[29]! << 8)) & 0x3fff };
  }
  return null;
}
