import { describe, expect, it } from "vitest";
import { ABSENT_MS, scanGate } from "../../web/src/pages/vendor/Scanner";

/** What the camera reads every 200 ms, as the scanner polls it. */
function run(frames: (readonly string[])[]) {
  const arrived = scanGate();
  return frames.flatMap((codes, i) => arrived(codes, i * 200));
}

describe("the camera scanner", () => {
  it("counts a barcode once however long it stays in view", () => {
    // Five seconds under the camera: one unit, where it used to count one every 1.5 s.
    expect(run(Array.from({ length: 25 }, () => ["8901234567890"]))).toEqual(["8901234567890"]);
  });

  it("counts it again once it was out of view, as the next unit is brought in", () => {
    const gone = Array.from({ length: ABSENT_MS / 200 }, () => []);
    expect(run([["890"], ["890"], ...gone, ["890"], ["890"]])).toEqual(["890", "890"]);
    // A frame or two the detector missed is not a new unit.
    expect(run([["890"], [], ["890"], [], [], ["890"]])).toEqual(["890"]);
  });

  it("keeps each code apart: another barcode in view does not make the first count again", () => {
    expect(run([["A"], ["B"], ["A"], ["B", "A"], ["A"], ["B"], ["A"], ["B"], ["A"]])).toEqual(["A", "B"]);
    // Two barcodes read in one frame both count, each once.
    expect(
      run([
        ["A", "B"],
        ["B", "A"],
        ["A", "A"],
      ]),
    ).toEqual(["A", "B"]);
  });
});
