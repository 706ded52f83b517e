import { describe, expect, it } from "vitest";
import { newId } from "../../src/domain/ids";

describe("ids", () => {
  it("sort in the order they were made, and never repeat", async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(newId("sub"));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect([...made].sort()).toEqual(made);
    const same = Array.from({ length: 1000 }, () => newId("li"));
    expect(new Set(same).size).toBe(1000);
    for (const id of same) expect(id).toMatch(/^li_[0-9a-z]{22}$/);
  });
});
