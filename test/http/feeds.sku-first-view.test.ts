import { env, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { type EventFrame, ServerFrame } from "../../src/contracts/feeds";
import { feedStatus, publish } from "../../src/gateways/feeds";
import { newCustomer, uid } from "../support/api";
import { BENGALURU, checkout, stockedSku } from "../support/marketplace";

/** An anonymous storefront socket on a SKU's feed, as web/src/live/feed-client.ts opens it. */
async function open(skuId: string, after: number | null) {
  const q = after === null ? "" : `?after=${after}`;
  const res = await SELF.fetch(`https://oms.test/v1/feeds/skus/${skuId}${q}`, { headers: { Upgrade: "websocket" } });
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  const frames: ServerFrame[] = [];
  ws.accept();
  ws.addEventListener("message", (e) => {
    if (e.data !== "pong") frames.push(ServerFrame.parse(JSON.parse(e.data as string)));
  });
  await vi.waitFor(() => expect(frames[0]).toMatchObject({ type: "hello" }));
  return { frames, events: () => frames.filter((f): f is EventFrame => "id" in f), close: () => ws.close() };
}

describe("a storefront card's first connection to a SKU feed", () => {
  it("gets the count sold after the offers read by asking again from just before the hello's last id", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const name = `sku:${s.skuId}` as const;
    await vi.waitFor(async () => expect((await feedStatus(env, name)).lastId).toBe(1));
    // The offers said 1 available; the last unit sells before the card's socket opens.
    const other = await newCustomer();
    expect((await checkout(other.token, [{ skuId: s.skuId, qty: 1 }])).status).toBe(201);
    await vi.waitFor(async () => expect((await feedStatus(env, name)).lastId).toBe(2));

    const first = await open(s.skuId, null);
    expect(first.frames[0]).toEqual({ type: "hello", lastId: 2 });
    await new Promise((r) => setTimeout(r, 50));
    // A fresh socket starts from now: the sale is not on it.
    expect(first.events()).toEqual([]);
    first.close();

    const again = await open(s.skuId, 1);
    await vi.waitFor(() => expect(again.events()).toHaveLength(1));
    expect(again.events()[0]).toMatchObject({ id: 2, type: "stock.changed", data: { skuId: s.skuId, available: 0 } });
    again.close();
  });

  it("finds the feed's last event held however many came before it", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 3 }] });
    const name = `sku:${s.skuId}` as const;
    await vi.waitFor(async () => expect((await feedStatus(env, name)).lastId).toBe(1));
    const prefix = uid("src");
    const many = Array.from({ length: 1_200 }, (_, i) => ({
      sourceId: `${prefix}:${i}`,
      type: "stock.changed",
      at: "2026-11-29T10:00:00Z",
      data: { skuId: s.skuId, available: i },
    }));
    await publish(env, name, many);
    const { lastId } = await feedStatus(env, name);
    const again = await open(s.skuId, lastId - 1);
    await vi.waitFor(() => expect(again.events()).toHaveLength(1));
    expect(again.events()[0]).toMatchObject({ id: lastId, data: { available: 1_199 } });
    expect(again.frames.some((f) => f.type === "reset")).toBe(false);
    again.close();
  });
});
