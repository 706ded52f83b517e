import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "../../web/src/api";

afterEach(() => vi.unstubAllGlobals());

describe("a bulk action over more ids than one request names", () => {
  it("keeps what the groups sent did when a later group fails, with the error and the ids not done", async () => {
    const ids = Array.from({ length: 45 }, (_, i) => `ord_bulkstop_${i}`);
    const sent: string[][] = [];
    vi.stubGlobal("fetch", async (_url: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body)) as { ids: string[] };
      sent.push(body.ids);
      if (sent.length === 2) throw new TypeError("Failed to fetch");
      const results = body.ids.map((id) => ({ id, ok: true }));
      return new Response(JSON.stringify({ results }), { headers: { "content-type": "application/json" } });
    });
    const outcome = await api.bulk("token", "orders", { action: "cancel", ids, reason: "customer_request" });
    // The first 20 were cancelled (and refunded): that stands whatever came after.
    expect(outcome.results.map((r) => r.id)).toEqual(ids.slice(0, 20));
    expect(outcome.stopped?.ids).toEqual(ids.slice(20));
    expect(outcome.stopped?.error).toMatchObject({ code: "NETWORK_ERROR" });
    expect(sent).toHaveLength(2);
  });

  it("answers every group's results when none fails", async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `ord_bulkall_${i}`);
    vi.stubGlobal("fetch", async (_url: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body)) as { ids: string[] };
      const results = body.ids.map((id) => ({ id, ok: true }));
      return new Response(JSON.stringify({ results }), { headers: { "content-type": "application/json" } });
    });
    const outcome = await api.bulk("token", "orders", { action: "approve", ids });
    expect(outcome.results).toHaveLength(25);
    expect(outcome.stopped).toBeUndefined();
  });
});
