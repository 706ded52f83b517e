import { describe, expect, it } from "vitest";
import { areaResample, type Pixels } from "../../src/domain/area-resample";

const image = (width: number, height: number, rgba: (x: number, y: number) => number[]): Pixels => {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(rgba(x, y), (y * width + x) * 4);
  return { data, width, height };
};
const pixel = (p: Pixels, x: number, y: number) => [
  ...p.data.subarray((y * p.width + x) * 4, (y * p.width + x + 1) * 4),
];

describe("area resampling", () => {
  it("averages each whole block: a 4 × 4 checkerboard of two greys is their mean grey at 2 × 2", () => {
    const out = areaResample(
      image(4, 4, (x, y) => ((x + y) % 2 ? [200, 100, 0, 255] : [100, 50, 40, 255])),
      2,
      2,
    );
    expect([out.width, out.height]).toEqual([2, 2]);
    for (const [x, y] of [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ] as const)
      expect(pixel(out, x, y)).toEqual([150, 75, 20, 255]);
  });

  it("shares a pixel that straddles two output cells between them by the part in each", () => {
    // 3 → 2: each cell covers 1.5 input pixels; the middle one counts half in each.
    const out = areaResample(
      image(3, 1, (x) => [x * 90, 0, 0, 255]),
      2,
      1,
    );
    expect(pixel(out, 0, 0)).toEqual([30, 0, 0, 255]); // (0 + 90 × 0.5) / 1.5
    expect(pixel(out, 1, 0)).toEqual([150, 0, 0, 255]); // (90 × 0.5 + 180) / 1.5
  });

  it("weights colour by alpha, so transparent pixels lend none to an edge", () => {
    const out = areaResample(
      image(2, 1, (x) => (x === 0 ? [255, 0, 0, 255] : [0, 0, 0, 0])),
      1,
      1,
    );
    expect(pixel(out, 0, 0)).toEqual([255, 0, 0, 128]);
    const clear = areaResample(
      image(2, 2, () => [9, 9, 9, 0]),
      1,
      1,
    );
    expect(pixel(clear, 0, 0)).toEqual([0, 0, 0, 0]);
  });

  it("keeps a photo's mean colour at any ratio, rows and columns alike", () => {
    const src = image(97, 61, (x, y) => [(x * 37 + y * 11) % 256, (x * y) % 256, (x + 3 * y) % 256, 255]);
    const mean = (p: Pixels, c: number) => {
      let sum = 0;
      for (let i = c; i < p.data.length; i += 4) sum += p.data[i]!;
      return sum / (p.width * p.height);
    };
    for (const [w, h] of [
      [20, 13],
      [96, 60],
      [1, 1],
      [97, 7],
    ] as const) {
      const out = areaResample(src, w, h);
      expect([out.width, out.height]).toEqual([w, h]);
      for (const c of [0, 1, 2]) expect(Math.abs(mean(out, c) - mean(src, c))).toBeLessThan(0.6);
      expect(mean(out, 3)).toBe(255);
    }
  });

  it("never enlarges: an image asked for at its own size or larger comes back as it is", () => {
    const src = image(5, 4, () => [1, 2, 3, 255]);
    expect(areaResample(src, 5, 4)).toBe(src);
    expect(areaResample(src, 10, 8)).toBe(src);
  });
});
