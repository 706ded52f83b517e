import { describe, expect, it } from "vitest";
import { LatestReads } from "../../web/src/use-api";

describe("a live page's reads of one thing", () => {
  it("land each, however slow, while ticks start new ones; an answer older than the one shown does not", () => {
    const reads = new LatestReads();
    // A tick a second, each read 1.5 s: every answer arrives after the next read started.
    const a = reads.begin();
    const b = reads.begin();
    expect(reads.lands(a)).toBe(true);
    const c = reads.begin();
    expect(reads.lands(b)).toBe(true);
    expect(reads.lands(c)).toBe(true);
    // Answers out of order: the later one stands.
    const d = reads.begin();
    const e = reads.begin();
    expect(reads.lands(e)).toBe(true);
    expect(reads.lands(d)).toBe(false);
  });

  it("drop an answer to what was read before it changed", () => {
    const reads = new LatestReads();
    const first = reads.begin();
    reads.renew();
    const second = reads.begin();
    expect(reads.lands(first)).toBe(false);
    expect(reads.lands(second)).toBe(true);
  });
});
