import { afterEach, describe, expect, it, vi } from "vitest";
import { newestOrders } from "../../web/src/pages/MyOrders";

afterEach(() => vi.unstubAllGlobals());

describe("My orders", () => {
  it("reaches the shopper's older orders with Show more: past the 20 newest, and past a page of 200", async () => {
    const orders = Array.from({ length: 230 }, (_, i) => ({ id: `ord_mine_${i}` }));
    const listed: URLSearchParams[] = [];
    const read: string[] = [];
    vi.stubGlobal("fetch", async (url: string) => {
      const u = new URL(url, "https://oms.test");
      let body: unknown;
      if (u.pathname === "/v1/orders") {
        listed.push(u.searchParams);
        const from = Number(u.searchParams.get("cursor") ?? 0);
        const to = Math.min(orders.length, from + Number(u.searchParams.get("limit")));
        body = { items: orders.slice(from, to), nextCursor: to < orders.length ? String(to) : null };
      } else {
        const id = decodeURIComponent(u.pathname.split("/").at(-1)!);
        read.push(id);
        body = { id, subOrders: [], timeline: [] };
      }
      return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
    });

    const first = await newestOrders("token", 20);
    expect(first.items.map((o) => o.id)).toEqual(orders.slice(0, 20).map((o) => o.id));
    expect(first.nextCursor).not.toBeNull();

    // One Show more: the 21st newest is there, read in full (its AWB, credit notes, timeline, cancel).
    const more = await newestOrders("token", 40);
    expect(more.items).toHaveLength(40);
    expect(more.items[20]!.id).toBe("ord_mine_20");
    expect(read).toContain("ord_mine_20");

    listed.length = 0;
    const all = await newestOrders("token", 240);
    expect(all.items.map((o) => o.id)).toEqual(orders.map((o) => o.id));
    expect(all.nextCursor).toBeNull();
    expect(listed.map((q) => q.get("limit"))).toEqual(["200", "40"]);
  });
});
