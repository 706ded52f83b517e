import { afterEach, describe, expect, it, vi } from "vitest";
import { BULK_NOT_STARTED } from "../../src/contracts/common";
import { api } from "../../web/src/api";

afterEach(() => vi.unstubAllGlobals());

const reply = (results: unknown[]) =>
  new Response(JSON.stringify({ results }), { headers: { "content-type": "application/json" } });

describe("a bulk action whose requests do not start every id", () => {
  it("sends the ids not started again, first, under the key's next number, until each is answered", async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `sub_notstarted_${i}`);
    const sent: { ids: string[]; key: string | null }[] = [];
    vi.stubGlobal("fetch", async (_url: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body)) as { ids: string[] };
      sent.push({ ids: body.ids, key: new Headers(init.headers).get("idempotency-key") });
      // Each request starts its first eight ids and answers the rest not started.
      return reply(
        body.ids.map((id, i) =>
          i < 8
            ? { id, ok: true }
            : { id, ok: false, problem: { status: 429, code: BULK_NOT_STARTED, detail: "not started" } },
        ),
      );
    });
    const outcome = await api.bulk("token", "sub-orders", { action: "confirm", ids }, "key1");
    expect(outcome.stopped).toBeUndefined();
    expect(outcome.results).toEqual(ids.map((id) => ({ id, ok: true })));
    expect(sent.map((s) => s.key)).toEqual(["key1.0", "key1.1", "key1.2", "key1.3"]);
    expect(sent[1]!.ids).toEqual([...ids.slice(8, 20), ...ids.slice(20, 25)]);
    expect(sent.flatMap((s) => s.ids.slice(0, 8))).toEqual(ids);
  });

  it("answers a request that started none as it is, instead of sending it forever", async () => {
    const ids = ["ord_none_0", "ord_none_1"];
    let calls = 0;
    vi.stubGlobal("fetch", async (_url: string, init: RequestInit) => {
      calls++;
      const body = JSON.parse(String(init.body)) as { ids: string[] };
      return reply(body.ids.map((id) => ({ id, ok: false, problem: { status: 429, code: BULK_NOT_STARTED } })));
    });
    const outcome = await api.bulk("token", "orders", { action: "approve", ids });
    expect(calls).toBe(1);
    expect(outcome.results.map((r) => [r.id, r.problem?.code])).toEqual(ids.map((id) => [id, BULK_NOT_STARTED]));
  });
});
