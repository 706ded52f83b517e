import { describe, expect, it } from "vitest";
import { ADMIN, api, uid } from "../support/api";
import { newProduct } from "../support/catalog";

describe("list pages of titles in any script", () => {
  it("pages past a Devanagari title and a curly apostrophe, and takes its own cursor back", async () => {
    // The longest cursor key: a title at its 200 UTF-16 units, each pair four bytes of UTF-8.
    const titles = [`कुर्ता ${uid()}`, `कुर्ता सेट ${uid()}`, `Men’s Kurta ${uid()}`, "😀".repeat(100)];
    const ids = new Set<string>();
    for (const t of titles) ids.add((await newProduct(t)).id as string);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = await api("GET", `/v1/products?${query}`, { token: ADMIN });
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      for (const p of page.body.items as { id: string }[]) if (ids.has(p.id)) seen.push(p.id);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([...ids].sort());
  });
});
