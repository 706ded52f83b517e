import { describe, expect, it } from "vitest";
import { retryDelayMinutes } from "../../src/domain/refund-retry";

describe("an owed refund's back-off", () => {
  it("waits a minute after the first failure, doubling, at most six hours", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 500].map(retryDelayMinutes)).toEqual([
      1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360, 360,
    ]);
  });
});
