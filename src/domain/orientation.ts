import type { Pixels } from "./area-resample";

/**
 * `image` turned as its EXIF `orientation` (1 to 8) says, so it shows as the camera held it:
 * 2 mirrored, 3 turned half round, 4 flipped upside down, 5 mirrored across its main diagonal,
 * 6 turned a quarter clockwise, 7 mirrored across the other diagonal, 8 turned a quarter
 * anticlockwise. 5 to 8 swap width and height.
 */
export function oriented(image: Pixels, orientation: number): Pixels {
  if (orientation < 2 || orientation > 8) return image;
  const { width: w, height: h } = image;
  const swaps = orientation >= 5;
  const width = swaps ? h : w;
  const height = swaps ? w : h;
  // Where output pixel (x, y) is taken from in the stored image.
  const from: (x: number, y: number) => number = {
    2: (x: number, y: number) => y * w + (w - 1 - x),
    3: (x: number, y: number) => (h - 1 - y) * w + (w - 1 - x),
    4: (x: number, y: number) => (h - 1 - y) * w + x,
    5: (x: number, y: number) => x * w + y,
    6: (x: number, y: number) => (h - 1 - x) * w + y,
    7: (x: number, y: number) => (h - 1 - x) * w + (w - 1 - y),
    8: (x: number, y: number) => x * w + (w - 1 - y),
  }[orientation]!;
  const source = new Uint32Array(image.data.slice(0, w * h * 4).buffer);
  const out = new Uint32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * width + x] = source[from(x, y)]!;
  return { data: new Uint8ClampedArray(out.buffer), width, height };
}
