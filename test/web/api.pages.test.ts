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

  it("reads the first rows a Show more list has grown to, afresh, across pages of 200", async () => {
    const rows = Array.from({ length: 260 }, (_, i) => ({ subOrderId: `sub_${i}` }));
    const asked: URLSearchParams[] = [];
    vi.stubGlobal("fetch", async (url: string) => {
      const q = new URL(url, "https://oms.test").searchParams;
      asked.push(q);
      const from = Number(q.get("cursor") ?? 0);
      const to = Math.min(rows.length, from + Number(q.get("limit")));
      const page = { items: rows.slice(from, to), nextCursor: to < rows.length ? String(to) : null };
      return new Response(JSON.stringify(page), { headers: { "content-type": "application/json" } });
    });
    const grown = await api.earningsSubOrders("token", "ven_1", 240);
    expect(grown.items.map((r) => r.subOrderId)).toEqual(rows.slice(0, 240).map((r) => r.subOrderId));
    expect(grown.nextCursor).not.toBeNull();
    expect(asked.map((q) => q.get("limit"))).toEqual(["200", "40"]);
    const all = await api.earningsSubOrders("token", "ven_1", 300);
    expect(all.items).toHaveLength(260);
    expect(all.nextCursor).toBeNull();
  });
});

describe("the payout lists", () => {
  it("read the runs and a vendor's payouts a page further per Show more, to the oldest", async () => {
    const runs = Array.from({ length: 60 }, (_, i) => ({ id: `run_${i}` }));
    const asked: string[] = [];
    vi.stubGlobal("fetch", async (url: string) => {
      const u = new URL(url, "https://oms.test");
      asked.push(u.pathname);
      const from = Number(u.searchParams.get("cursor") ?? 0);
      const to = Math.min(runs.length, from + Number(u.searchParams.get("limit")));
      const page = { items: runs.slice(from, to), nextCursor: to < runs.length ? String(to) : null };
      return new Response(JSON.stringify(page), { headers: { "content-type": "application/json" } });
    });
    const first = await api.payoutRuns("token", 24);
    expect([first.items.length, first.nextCursor !== null]).toEqual([24, true]);
    const all = await api.payoutRuns("token", 72);
    expect([all.items.length, all.nextCursor]).toEqual([60, null]);
    const payouts = await api.vendorPayouts("token", "ven_1", 100);
    expect(payouts.items.at(-1)).toEqual({ id: "run_59" });
    expect(asked.at(-1)).toBe("/v1/vendors/ven_1/payouts");
  });
});
