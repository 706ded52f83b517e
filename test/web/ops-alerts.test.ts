import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "../../web/src/api";

afterEach(() => vi.unstubAllGlobals());

describe("the ops dashboard's alerts", () => {
  it("reads the newest 20, then 20 more per Show more, from GET /v1/ops-alerts", async () => {
    const alerts = Array.from({ length: 30 }, (_, i) => ({
      id: `ntf_${i}`,
      template: "refund_failed",
      text: `Alert ${i}`,
    }));
    const asked: URL[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      const u = new URL(url, "https://oms.test");
      asked.push(u);
      expect(new Headers(init.headers).get("authorization")).toBe("Bearer ops-token");
      const from = Number(u.searchParams.get("cursor") ?? 0);
      const to = Math.min(alerts.length, from + Number(u.searchParams.get("limit")));
      const page = { items: alerts.slice(from, to), nextCursor: to < alerts.length ? String(to) : null };
      return new Response(JSON.stringify(page), { headers: { "content-type": "application/json" } });
    });
    const first = await api.opsAlerts("ops-token", 20);
    expect(first.items.map((a) => a.id)).toEqual(alerts.slice(0, 20).map((a) => a.id));
    expect(first.nextCursor).not.toBeNull();
    const more = await api.opsAlerts("ops-token", 40);
    expect(more.items).toHaveLength(30);
    expect(more.nextCursor).toBeNull();
    expect(asked.every((u) => u.pathname === "/v1/ops-alerts")).toBe(true);
  });
});
