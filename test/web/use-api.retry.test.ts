import { describe, expect, it } from "vitest";
import { ApiProblem } from "../../web/src/api";
import { RetryWaits } from "../../web/src/use-api";

function answered(status: number) {
  return new ApiProblem(status, {
    type: "about:blank",
    title: "Failed",
    status,
    detail: "",
    code: `HTTP_${status}`,
    requestId: `req_uar_${status}`,
  });
}

describe("a read that failed with nothing to show", () => {
  it("is made again after a wait that grows to 30 s, from nothing, while the failure may pass", () => {
    // The longest waits (a random draw just under 1): 1 s doubling per failure in a row, capped.
    const waits = new RetryWaits(() => 0.999_999);
    const longest = [0, 0, 503, 0, 429, 0, 408].map((s) => waits.failed(answered(s)));
    expect(longest.map((w) => Math.ceil(w ?? -1))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    // Full jitter: a server back from a blip is not met by every page at once.
    expect(new RetryWaits(() => 0).failed(answered(0))).toBe(0);
  });

  it("starts the backoff over once a read lands", () => {
    const waits = new RetryWaits(() => 0.5);
    waits.failed(answered(0));
    waits.failed(answered(0));
    waits.loaded();
    expect(waits.failed(answered(0))).toBe(500);
  });

  it("is not made again when refused: asking again cannot change a 401, 403 or 404", () => {
    const waits = new RetryWaits(() => 0.5);
    for (const s of [400, 401, 403, 404, 409]) expect(waits.failed(answered(s))).toBeNull();
    // Nor after a bug in the page: only an answer (or its absence) from the API may pass.
    expect(waits.failed(new TypeError("x is undefined"))).toBeNull();
  });
});
