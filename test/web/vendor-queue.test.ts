import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "../../web/src/api";

afterEach(() => vi.unstubAllGlobals());

describe("the vendor app's queue", () => {
  it("asks for the tab by dispatch deadline and grows by a page per Show more until every sub-order is shown", async () => {
    // A sale's worth of New, as the API serves it with sort=slaDispatchBy (test/http/sub-orders.deadline-queue.test.ts).
    const queue = Array.from({ length: 120 }, (_, i) => ({ id: `sub_${String(i).padStart(3, "0")}` }));
    const asked: URLSearchParams[] = [];
    vi.stubGlobal("fetch", async (url: string) => {
      const q = new URL(url, "https://oms.test").searchParams;
      asked.push(q);
      const from = Number(q.get("cursor") ?? 0);
      const to = Math.min(queue.length, from + Number(q.get("limit")));
      const page = { items: queue.slice(from, to), nextCursor: to < queue.length ? String(to) : null };
      return new Response(JSON.stringify(page), { headers: { "content-type": "application/json" } });
    });

    const first = await api.subOrders("token", { status: "paid" }, 50);
    expect(first.items).toEqual(queue.slice(0, 50));
    expect(first.nextCursor).not.toBeNull();
    expect(asked.map((q) => [q.get("status"), q.get("sort"), q.get("limit")])).toEqual([
      ["paid", "slaDispatchBy", "50"],
    ]);

    // Each Show more reads the rows shown so far afresh, then the next page's worth.
    const more = await api.subOrders("token", { status: "paid" }, 100);
    expect(more.items).toEqual(queue.slice(0, 100));
    expect(more.nextCursor).not.toBeNull();

    asked.length = 0;
    const all = await api.subOrders("token", { status: "paid" }, 150);
    expect(all.items).toEqual(queue);
    expect(all.nextCursor).toBeNull();
    expect(asked.map((q) => q.get("sort"))).toEqual(["slaDispatchBy"]);
    expect(asked.map((q) => q.get("limit"))).toEqual(["150"]);
  });
});
