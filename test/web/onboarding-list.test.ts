import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "../../web/src/api";

afterEach(() => vi.unstubAllGlobals());

describe("ops' list of vendors waiting for review", () => {
  it("grows by Show more past the 200 a page holds, until every submitted vendor is reachable", async () => {
    // More submitted vendors than a page of GET /v1/onboarding holds, by name as the API serves them.
    const waiting = Array.from({ length: 260 }, (_, i) => ({ vendorId: `ven_review_${String(i).padStart(3, "0")}` }));
    const asked: URLSearchParams[] = [];
    vi.stubGlobal("fetch", async (url: string) => {
      const q = new URL(url, "https://oms.test").searchParams;
      asked.push(q);
      const from = Number(q.get("cursor") ?? 0);
      const to = Math.min(waiting.length, from + Number(q.get("limit")));
      const page = { items: waiting.slice(from, to), nextCursor: to < waiting.length ? String(to) : null };
      return new Response(JSON.stringify(page), { headers: { "content-type": "application/json" } });
    });

    const first = await api.onboardings("token", "submitted", 50);
    expect(first.items).toEqual(waiting.slice(0, 50));
    expect(first.nextCursor).not.toBeNull();

    // Each Show more reads the rows shown so far afresh, then the next page's worth, across pages of 200.
    asked.length = 0;
    const more = await api.onboardings("token", "submitted", 250);
    expect(more.items).toEqual(waiting.slice(0, 250));
    expect(more.nextCursor).not.toBeNull();
    expect(asked.map((q) => [q.get("state"), q.get("limit")])).toEqual([
      ["submitted", "200"],
      ["submitted", "50"],
    ]);

    const all = await api.onboardings("token", "submitted", 300);
    expect(all.items).toEqual(waiting);
    expect(all.nextCursor).toBeNull();
  });
});
