import { describe, expect, it } from "vitest";
import { ABSENT_FRAMES, scanGate } from "../../web/src/pages/vendor/Scanner";

/** What the camera reads frame after frame, however long each frame takes to decode. */
function run(frames: (readonly string[])[]) {
  const arrived = scanGate();
  return frames.flatMap((codes) => arrived(codes));
}

const missing = (n: number) => Array.from({ length: n }, () => []);

describe("the camera scanner", () => {
  it("counts a barcode once however long it stays in view", () => {
    // 25 frames under the camera (five seconds at 200 ms, far longer on a slow phone): one unit.
    expect(run(Array.from({ length: 25 }, () => ["8901234567890"]))).toEqual(["8901234567890"]);
  });

  it("counts it again once it was out of view, as the next unit is brought in", () => {
    expect(run([["890"], ["890"], ...missing(ABSENT_FRAMES), ["890"], ["890"]])).toEqual(["890", "890"]);
    // A frame or two the detector missed is not a new unit, however long those frames took.
    expect(run([["890"], [], ["890"], ...missing(ABSENT_FRAMES - 1), ["890"]])).toEqual(["890"]);
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
