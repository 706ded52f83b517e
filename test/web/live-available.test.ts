import { afterEach, describe, expect, it, vi } from "vitest";
import type { EventFrame } from "../../src/contracts/feeds";
import { skuCountFeed } from "../../web/src/components/LiveAvailable";
import { FeedClient, type FeedHandlers } from "../../web/src/live/feed-client";

/**
 * One feed as the browser meets it: each socket gets the hello, then what follows its `after` or a
 * reset, exactly as durable-objects/feed.ts answers (test/durable-objects/feed.test.ts holds the
 * object to that); events published later reach every open socket.
 */
class ScriptedFeed {
  readonly events: EventFrame[] = [];
  readonly sockets: ScriptedSocket[] = [];

  constructor(available: number[]) {
    for (const n of available) this.publish(n);
  }

  get lastId() {
    return this.events.length;
  }

  publish(available: number) {
    const e = {
      id: this.lastId + 1,
      type: "stock.changed",
      at: "2026-11-29T10:00:00Z",
      data: { skuId: "sku_1", available },
    };
    this.events.push(e);
    for (const s of this.sockets) if (s.open) s.deliver(e);
  }

  /** What durable-objects/feed.ts sends a socket that connects with `after`. */
  greet(s: ScriptedSocket, after: number | null) {
    s.deliver({ type: "hello", lastId: this.lastId });
    if (after === null || after === this.lastId) return;
    if (after > this.lastId) return s.deliver({ type: "reset", lastId: this.lastId });
    for (const e of this.events.filter((x) => x.id > after)) s.deliver(e);
  }
}

class ScriptedSocket {
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  open = true;

  constructor(
    readonly url: URL,
    feed: ScriptedFeed,
  ) {
    feed.sockets.push(this);
    const after = url.searchParams.get("after");
    // A socket opens, and says hello, after the page's current task.
    setTimeout(() => this.open && feed.greet(this, after === null ? null : Number(after)), 0);
  }

  deliver(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  send() {}

  close() {
    this.open = false;
  }
}

function asBrowser(feed: ScriptedFeed) {
  vi.stubGlobal(
    "WebSocket",
    class extends ScriptedSocket {
      constructor(url: URL) {
        super(url, feed);
      }
    },
  );
  vi.stubGlobal("window", { location: { href: "https://oms.test/" }, addEventListener() {}, removeEventListener() {} });
}

const clients: FeedClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  vi.unstubAllGlobals();
});

/** An offer card's count as `useLiveAvailable` keeps it: the offers read until its feed says otherwise. */
function card(read: number) {
  let live: number | null = null;
  let stale = 0;
  const feed = skuCountFeed(
    (available) => {
      live = available;
    },
    () => stale++,
  );
  clients.push(new FeedClient("/v1/feeds/skus/sku_1", null, { ...feed, onStatus() {} }, feed.after()));
  return { available: () => live ?? read, stale: () => stale };
}

const settled = () => new Promise((r) => setTimeout(r, 10));

describe("a storefront offer first in view", () => {
  it("shows the last unit sold between the offers read and its socket, with no read again", async () => {
    // The offers read said 1 available (event 1); another shopper bought it 300 ms later (event 2).
    const feed = new ScriptedFeed([1, 0]);
    asBrowser(feed);
    const c = card(1);
    await settled();
    expect(c.available()).toBe(0);
    expect(c.stale()).toBe(0);
    // Its first socket learnt where the feed stands; the next asked for the feed's last event.
    expect(feed.sockets.map((s) => s.url.searchParams.get("after"))).toEqual([null, "1"]);
    expect(feed.sockets.map((s) => s.open)).toEqual([false, true]);
    // And it carries on live.
    feed.publish(3);
    expect(c.available()).toBe(3);
  });

  it("shows a restock from nothing that landed in between, not Out of stock", async () => {
    const feed = new ScriptedFeed([0, 50]);
    asBrowser(feed);
    const c = card(0);
    await settled();
    expect(c.available()).toBe(50);
    expect(c.stale()).toBe(0);
  });

  it("keeps the count read when its feed has nothing yet, on one socket, and hears the first push", async () => {
    const feed = new ScriptedFeed([]);
    asBrowser(feed);
    const c = card(7);
    await settled();
    expect(c.available()).toBe(7);
    feed.publish(6);
    expect(c.available()).toBe(6);
    expect(c.stale()).toBe(0);
    expect(feed.sockets).toHaveLength(1);
  });

  it("reads the count again when its feed says events were lost, before or after it saw one", () => {
    let stale = 0;
    const shown: (number | null)[] = [];
    const feed = skuCountFeed(
      (n) => shown.push(n),
      () => stale++,
    );
    expect(feed.after()).toBeLessThan(0);
    feed.onEvent({ id: 41, type: "stock.changed", at: "2026-11-29T10:00:00Z", data: { skuId: "sku_1", available: 3 } });
    expect(feed.after()).toBe(41);
    feed.onReset(1_200);
    expect(shown).toEqual([3, null]);
    expect(stale).toBe(1);
    expect(feed.after()).toBe(1_200);
    // More than the feed holds was published while the first connection caught up: read again too.
    const catchingUp = skuCountFeed(
      () => {},
      () => stale++,
    );
    catchingUp.onReset(1_200);
    expect(stale).toBe(2);
  });
});

describe("the other feeds' first connection", () => {
  it("still starts from now and asks for a reload, on one socket", async () => {
    const feed = new ScriptedFeed([5, 4, 3]);
    asBrowser(feed);
    const resets: number[] = [];
    const events: EventFrame[] = [];
    const handlers: FeedHandlers = { onEvent: (e) => events.push(e), onReset: (id) => resets.push(id), onStatus() {} };
    clients.push(new FeedClient("/v1/feeds/vendors/ven_1", null, handlers));
    await settled();
    expect(resets).toEqual([3]);
    expect(events).toEqual([]);
    expect(feed.sockets).toHaveLength(1);
    feed.publish(2);
    expect(events.map((e) => e.id)).toEqual([4]);
  });

  it("still resumes after the id it is handed, with what it missed", async () => {
    const feed = new ScriptedFeed([5, 4, 3]);
    asBrowser(feed);
    const resets: number[] = [];
    const events: EventFrame[] = [];
    const handlers: FeedHandlers = { onEvent: (e) => events.push(e), onReset: (id) => resets.push(id), onStatus() {} };
    clients.push(new FeedClient("/v1/feeds/vendors/ven_1", null, handlers, 1));
    await settled();
    expect(events.map((e) => e.id)).toEqual([2, 3]);
    expect(resets).toEqual([]);
    expect(feed.sockets).toHaveLength(1);
  });
});
