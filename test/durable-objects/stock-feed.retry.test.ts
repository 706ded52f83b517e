import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { StockFeedPusher } from "../../durable-objects/outward/stock-feed";
import type { StockSnapshot } from "../../durable-objects/sku-stock-rpc";
import { uid } from "../support/api";
import { type Call, feedPublishes, lost } from "../support/bindings";
import { insertCatalog } from "../support/catalog-rows";

const feed = (name: string) => env.FEEDS.get(env.FEEDS.idFromName(name));

/** A SKU in one warehouse, and a snapshot of it with `available` units sellable. */
async function sku() {
  const [vendorId, skuId, wh] = [uid("ven"), uid("sku"), uid("wh")];
  await insertCatalog(vendorId, skuId, [wh]);
  const snapshot = (version: number, available: number): StockSnapshot => ({
    skuId,
    version,
    warehouses: [{ warehouseId: wh, onHand: available, held: 0, committed: 0, available, version: 1 }],
    totals: { onHand: available, available, held: 0, committed: 0 },
  });
  return { vendorId, skuId, snapshot };
}

describe("stock feed pushes that fail", () => {
  it("a sale's last count whose push failed, with no change after it, still reaches the storefront", async () => {
    const s = await sku();
    let failuresLeft = 1;
    const calls: string[] = [];
    const bindings = feedPublishes((call: Call, name) => async (...args) => {
      calls.push(name);
      if (name.startsWith("sku:") && failuresLeft-- > 0) return lost();
      return call(...args);
    });
    const pusher = new StockFeedPusher(bindings, () => s.snapshot(11, 0));
    await pusher.changed();
    expect(calls.filter((n) => n === `sku:${s.skuId}`)).toHaveLength(2);
    expect((await feed(`sku:${s.skuId}`).status()).lastId).toBe(1);
  });

  it("a count the storefront took while the vendor's feed failed is not taken again for a later one", async () => {
    const s = await sku();
    let state = { version: 10, available: 5 };
    let vendorFailuresLeft = 0;
    const bindings = feedPublishes((call: Call, name) => async (...args) => {
      if (name.startsWith("vendor:") && vendorFailuresLeft-- > 0) return lost();
      return call(...args);
    });
    const pusher = new StockFeedPusher(bindings, () => s.snapshot(state.version, state.available));
    const publicFeed = feed(`sku:${s.skuId}`);
    await pusher.changed();
    expect((await publicFeed.status()).lastId).toBe(1);

    // The last unit sells: the storefront hears 0, the vendor's feed fails that once.
    state = { version: 11, available: 0 };
    vendorFailuresLeft = 1;
    const sold = pusher.changed();
    await new Promise((r) => setTimeout(r, 100));
    expect((await publicFeed.status()).lastId).toBe(2);
    // A hold is released: 5 units are for sale again, and the storefront must hear it.
    state = { version: 12, available: 5 };
    await sold;
    await pusher.changed();
    expect((await publicFeed.status()).lastId).toBe(3);
  });

  it("a vendor's feed that keeps failing does not slow the storefront's count", async () => {
    const s = await sku();
    let state = { version: 10, available: 5 };
    let vendorDown = true;
    const bindings = feedPublishes(
      (call: Call, name) =>
        async (...args) =>
          name.startsWith("vendor:") && vendorDown ? lost() : call(...args),
    );
    const pusher = new StockFeedPusher(bindings, () => s.snapshot(state.version, state.available));
    const publicFeed = feed(`sku:${s.skuId}`);
    const first = pusher.changed();
    await new Promise((r) => setTimeout(r, 150));
    expect((await publicFeed.status()).lastId).toBe(1);
    // The next sale goes out at the usual pace, not after the vendor feed's retry wait.
    state = { version: 11, available: 4 };
    pusher.changed();
    await new Promise((r) => setTimeout(r, 400));
    expect((await publicFeed.status()).lastId).toBe(2);
    vendorDown = false;
    await first;
  });

  it("a public push that failed after it landed does not leave the storefront on its count", async () => {
    const s = await sku();
    let state = { version: 10, available: 1 };
    let failAfterLanding = false;
    const bindings = feedPublishes((call: Call, name) => async (...args) => {
      const landed = await call(...args);
      if (name.startsWith("sku:") && failAfterLanding) {
        failAfterLanding = false;
        return lost();
      }
      return landed;
    });
    const pusher = new StockFeedPusher(bindings, () => s.snapshot(state.version, state.available));
    const publicFeed = feed(`sku:${s.skuId}`);
    await pusher.changed();
    // The last unit sells: the storefront hears 0, but the answer is lost.
    state = { version: 11, available: 0 };
    failAfterLanding = true;
    const sold = pusher.changed();
    await new Promise((r) => setTimeout(r, 50));
    // Its hold lapses before the retry: 1 for sale again, and the storefront must hear it.
    state = { version: 12, available: 1 };
    await sold;
    const last = await runInDurableObject(publicFeed, (_f, state) =>
      state.storage.sql.exec<{ data: string }>("SELECT data FROM events ORDER BY id DESC LIMIT 1").one(),
    );
    expect(JSON.parse(last.data)).toMatchObject({ available: 1 });
  });

  it("a burst's pushes that failed leave the last one all its retries", async () => {
    const s = await sku();
    let state = { version: 10, available: 9 };
    let vendorDown = true;
    let publicFailuresLeft = 0;
    const bindings = feedPublishes((call: Call, name) => async (...args) => {
      if (name.startsWith("vendor:") && vendorDown) return lost();
      if (name.startsWith("sku:") && publicFailuresLeft > 0) {
        publicFailuresLeft--;
        return lost();
      }
      return call(...args);
    });
    const pusher = new StockFeedPusher(bindings, () => s.snapshot(state.version, state.available));
    const first = pusher.changed();
    // Eight sales in about a second, every push failing on the vendor's feed.
    for (let i = 1; i <= 8; i++) {
      await new Promise((r) => setTimeout(r, 120));
      state = { version: 10 + i, available: 9 - i };
      if (i === 8) publicFailuresLeft = 1;
      pusher.changed();
    }
    await new Promise((r) => setTimeout(r, 200));
    vendorDown = false;
    await first;
    const last = await runInDurableObject(feed(`sku:${s.skuId}`), (_f, state) =>
      state.storage.sql.exec<{ data: string }>("SELECT data FROM events ORDER BY id DESC LIMIT 1").one(),
    );
    expect(JSON.parse(last.data)).toMatchObject({ available: 1 });
  });
});
