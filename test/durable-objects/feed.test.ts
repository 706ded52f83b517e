import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { Feed } from "../../durable-objects/feed";
import { RETAINED_EVENTS } from "../../durable-objects/feed";
import { type EventFrame, ServerFrame } from "../../src/contracts/feeds";
import { type FeedName, feedStatus, publish, subscribe } from "../../src/gateways/feeds";
import { uid } from "../support/api";

const AT = "2026-11-22T09:00:00Z";

/** A subscriber socket that records every frame, each checked against the wire schema. */
class Client {
  readonly frames: unknown[] = [];
  closed: { code: number } | null = null;

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("message", (e) => {
      const text = e.data as string;
      this.frames.push(text === "pong" ? text : ServerFrame.parse(JSON.parse(text)));
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code };
    });
  }

  events(): EventFrame[] {
    return this.frames.filter((f): f is EventFrame => typeof f === "object" && f !== null && "id" in f);
  }

  async waitForEvents(n: number): Promise<EventFrame[]> {
    return vi.waitFor(
      () => {
        const got = this.events();
        if (got.length < n) throw new Error(`${got.length} of ${n} events`);
        return got;
      },
      { timeout: 5_000, interval: 5 },
    );
  }

  async waitFor(match: (f: unknown) => boolean): Promise<unknown> {
    return vi.waitFor(
      () => {
        const f = this.frames.find(match);
        if (f === undefined) throw new Error(`no such frame in ${JSON.stringify(this.frames)}`);
        return f;
      },
      { timeout: 5_000, interval: 5 },
    );
  }
}

async function connect(name: FeedName, after: number | null = null): Promise<Client> {
  const res = await subscribe(env, name, { role: "ops", principalId: "tok_test", tokenId: null, after });
  expect(res.status).toBe(101);
  const client = new Client(res.webSocket!);
  await client.waitFor((f) => (f as { type?: string }).type === "hello");
  return client;
}

function events(from: number, to: number, prefix = uid("src")) {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    sourceId: `${prefix}:${from + i}`,
    type: "test.event",
    at: AT,
    data: { n: from + i },
  }));
}

const stubOf = (name: FeedName) => env.FEEDS.get(env.FEEDS.idFromName(name));

describe("feed object", () => {
  it("says hello with the last id, then sends only new events, with ids increasing by one", async () => {
    const name: FeedName = `vendor:${uid("ven")}`;
    await publish(env, name, events(1, 3));
    const c = await connect(name);
    expect(c.frames[0]).toEqual({ type: "hello", lastId: 3 });
    await publish(env, name, events(4, 5));
    const got = await c.waitForEvents(2);
    expect(got).toEqual([
      { id: 4, type: "test.event", at: AT, data: { n: 4 } },
      { id: 5, type: "test.event", at: AT, data: { n: 5 } },
    ]);
  });

  it("resumes after a forced disconnect with exactly the missed events, then carries on live", async () => {
    const name: FeedName = `vendor:${uid("ven")}`;
    const prefix = uid("src");
    const first = await connect(name);
    await publish(env, name, events(1, 3, prefix));
    const seen = await first.waitForEvents(3);
    const lastSeen = seen.at(-1)!.id;
    first.ws.close(1001, "network lost");
    await vi.waitFor(async () => expect((await feedStatus(env, name)).sockets).toBe(0));

    // Published while the client is away, one by one and in a batch.
    await publish(env, name, events(4, 4, prefix));
    await publish(env, name, events(5, 8, prefix));

    const again = await connect(name, lastSeen);
    expect(again.frames[0]).toEqual({ type: "hello", lastId: 8 });
    const missed = await again.waitForEvents(5);
    expect(missed.map((e) => e.id)).toEqual([4, 5, 6, 7, 8]);
    expect(missed.map((e) => e.data.n)).toEqual([4, 5, 6, 7, 8]);

    await publish(env, name, events(9, 9, prefix));
    const all = await again.waitForEvents(6);
    expect(all.map((e) => e.id)).toEqual([4, 5, 6, 7, 8, 9]);
    // Nothing else arrives: no duplicate of what was replayed.
    await new Promise((r) => setTimeout(r, 50));
    expect(again.events()).toHaveLength(6);
  });

  it("answers reset when `after` is past the retained window or ahead of the feed", async () => {
    const name: FeedName = `vendor:${uid("ven")}`;
    await publish(env, name, events(1, RETAINED_EVENTS + 5));
    const lastId = RETAINED_EVENTS + 5;
    expect(await feedStatus(env, name)).toMatchObject({ lastId, oldestId: 6 });

    const edge = await connect(name, lastId - RETAINED_EVENTS);
    const replayed = await edge.waitForEvents(RETAINED_EVENTS);
    expect(replayed[0]!.id).toBe(6);
    expect(replayed.at(-1)!.id).toBe(lastId);

    const past = await connect(name, lastId - RETAINED_EVENTS - 1);
    await past.waitFor((f) => (f as { type?: string }).type === "reset");
    expect(past.frames).toEqual([
      { type: "hello", lastId },
      { type: "reset", lastId },
    ]);

    const ahead = await connect(name, lastId + 10);
    await ahead.waitFor((f) => (f as { type?: string }).type === "reset");
    expect(ahead.events()).toEqual([]);
  });

  it("appends a source id once, however often it is published", async () => {
    const name: FeedName = `vendor:${uid("ven")}`;
    const c = await connect(name);
    const same = { sourceId: "outbox:42", type: "order.paid", at: AT, data: { orderId: "ord_1" } };
    const r1 = await publish(env, name, [same]);
    const r2 = await publish(env, name, [same, same]);
    const r3 = await Promise.all([publish(env, name, [same]), publish(env, name, [same])]);
    expect(r1).toEqual({ appended: 1, lastId: 1 });
    expect(r2).toEqual({ appended: 0, lastId: 1 });
    expect(r3.map((r) => r.appended)).toEqual([0, 0]);
    await c.waitForEvents(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.events()).toHaveLength(1);
  });

  it("keeps its subscriptions across eviction: wakes on the next publish and delivers to every socket", async () => {
    const name: FeedName = `sku:${uid("sku")}`;
    const stub = stubOf(name);
    const a = await connect(name);
    const b = await connect(name);
    await runInDurableObject(stub, (feed: Feed) => {
      (feed as unknown as { marker?: number }).marker = 1;
    });

    await evictDurableObject(stub);

    // Pongs come from the runtime's auto-response, with or without an object in memory.
    a.ws.send("ping");
    await a.waitFor((f) => f === "pong");

    await publish(env, name, events(1, 2));
    expect((await a.waitForEvents(2)).map((e) => e.id)).toEqual([1, 2]);
    expect((await b.waitForEvents(2)).map((e) => e.id)).toEqual([1, 2]);
    await runInDurableObject(stub, (feed: Feed, state) => {
      // A new instance: the one that accepted the sockets is gone, the sockets are not.
      expect((feed as unknown as { marker?: number }).marker).toBeUndefined();
      const sockets = state.getWebSockets();
      expect(sockets).toHaveLength(2);
      expect(sockets.map((ws) => ws.deserializeAttachment())).toEqual([
        { role: "ops", principalId: "tok_test", tokenId: null },
        { role: "ops", principalId: "tok_test", tokenId: null },
      ]);
      expect(state.getWebSocketAutoResponseTimestamp(sockets.find((ws) => ws.deserializeAttachment())!)).toBeDefined();
    });
    expect(a.closed).toBeNull();
    expect(b.closed).toBeNull();
  });

  it("closes a socket that sends anything but ping", async () => {
    const name: FeedName = `sku:${uid("sku")}`;
    const c = await connect(name);
    c.ws.send(JSON.stringify({ type: "subscribe", feed: "ops" }));
    await vi.waitFor(() => expect(c.closed?.code).toBe(1003));
  });

  it("refuses a plain request: the object's fetch is for WebSocket upgrades only", async () => {
    const res = await stubOf(`sku:${uid("sku")}`).fetch("https://feed.internal/subscribe");
    expect(res.status).toBe(426);
    await res.text();
  });
});
