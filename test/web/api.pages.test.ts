import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "../../web/src/api";

afterEach(() => vi.unstubAllGlobals());

describe("the web app's reads of lists", () => {
  it("reads a vendor's SKUs page after page, past the 200 a page holds", async () => {
    const asked: string[] = [];
    const pages: Record<string, { items: { id: string }[]; nextCursor: string | null }> = {
      "": { items: Array.from({ length: 200 }, (_, i) => ({ id: `sku_${i}` })), nextCursor: "c1" },
      c1: { items: [{ id: "sku_200" }], nextCursor: null },
    };
    vi.stubGlobal("fetch", async (url: string) => {
      asked.push(url);
      const cursor = new URL(url, "https://oms.test").searchParams.get("cursor") ?? "";
      return new Response(JSON.stringify(pages[cursor]), { headers: { "content-type": "application/json" } });
    });
    const skus = await api.skus("token", "ven_1");
    expect(skus.items).toHaveLength(201);
    expect(skus.items.at(-1)).toEqual({ id: "sku_200" });
    expect(asked.map((u) => new URL(u, "https://oms.test").searchParams.get("vendorId"))).toEqual(["ven_1", "ven_1"]);
  });
});
