import { describe, expect, it } from "vitest";
import type { Pixels } from "../../src/domain/area-resample";
import { jpegOrientation } from "../../src/domain/image-type";
import { oriented } from "../../src/domain/orientation";
import { headerOnly, withOrientation } from "../support/images";

/** A 3 × 2 image whose pixels are numbered 1 to 6 in their red channel, row by row. */
const numbered: Pixels = {
  data: new Uint8ClampedArray([1, 2, 3, 4, 5, 6].flatMap((n) => [n, 0, 0, 255])),
  width: 3,
  height: 2,
};
const rows = (p: Pixels) =>
  Array.from({ length: p.height }, (_, y) => Array.from({ length: p.width }, (_, x) => p.data[(y * p.width + x) * 4]));

describe("EXIF orientation", () => {
  it("turns the pixels as each of the eight orientations says", () => {
    // 1 2 3
    // 4 5 6
    const want: Record<number, number[][]> = {
      1: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      2: [
        [3, 2, 1],
        [6, 5, 4],
      ],
      3: [
        [6, 5, 4],
        [3, 2, 1],
      ],
      4: [
        [4, 5, 6],
        [1, 2, 3],
      ],
      5: [
        [1, 4],
        [2, 5],
        [3, 6],
      ],
      6: [
        [4, 1],
        [5, 2],
        [6, 3],
      ],
      7: [
        [6, 3],
        [5, 2],
        [4, 1],
      ],
      8: [
        [3, 6],
        [2, 5],
        [1, 4],
      ],
    };
    for (const [orientation, expected] of Object.entries(want)) {
      expect(rows(oriented(numbered, Number(orientation))), `orientation ${orientation}`).toEqual(expected);
    }
    expect(oriented(numbered, 0)).toBe(numbered);
    expect(oriented(numbered, 9)).toBe(numbered);
  });

  it("reads the orientation from a JPEG's EXIF in either byte order, and 1 when there is none to read", () => {
    const plain = headerOnly("jpeg", 40, 30);
    for (const order of ["II", "MM"] as const) {
      for (const n of [1, 3, 6, 8]) expect(jpegOrientation(withOrientation(plain, n, order))).toBe(n);
    }
    // The test header's own APP1 is "Exif" with no TIFF after it.
    expect(jpegOrientation(plain)).toBe(1);
    expect(jpegOrientation(withOrientation(plain, 0))).toBe(1);
    expect(jpegOrientation(withOrientation(plain, 9))).toBe(1);
    // Cut inside the IFD entry: nothing read past the bytes there are.
    const cut = withOrientation(plain, 6);
    expect(jpegOrientation(cut.subarray(0, 30))).toBe(1);
  });
});
