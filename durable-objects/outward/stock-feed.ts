/**
 * Why the SkuStock object calls out: screens watch stock live. After each change the object pushes
 * its levels to the SKU's public feed (available total) and to its vendor's feed (exact per
 * warehouse), by RPC to those Feed objects, not through the Queue's batching.
 */
import { type PublicStockData, STOCK_CHANGED, type VendorStockData } from "../../src/contracts/feeds";
import { database } from "../../src/db/client";
import { vendorOfSku } from "../../src/db/feeds";
import { isoSeconds } from "../../src/domain/time";
import { type FeedName, skuFeed, vendorFeed } from "../feed-rpc";
import type { StockSnapshot } from "../sku-stock-rpc";

/**
 * A SKU's new levels: exact per warehouse to its vendor's feed, the available total alone to the
 * SKU's public feed. Keyed by the snapshot's version, so a repeated push appends nothing.
 */
async function publishStock(
  env: Env,
  vendorId: string | null,
  snapshot: StockSnapshot,
  opts: { publicFeed: boolean },
): Promise<void> {
  const { skuId } = snapshot;
  const at = isoSeconds(Date.now());
  const sourceId = `stock:${skuId}:${snapshot.version}`;
  const publish = (name: FeedName, data: PublicStockData | VendorStockData) =>
    env.FEEDS.get(env.FEEDS.idFromName(name)).publish([{ sourceId, type: STOCK_CHANGED, at, data }]);
  const calls: Promise<unknown>[] = [];
  if (opts.publicFeed) calls.push(publish(skuFeed(skuId), { skuId, available: snapshot.totals.available }));
  if (vendorId) {
    const { version, warehouses, totals } = snapshot;
    calls.push(publish(vendorFeed(vendorId), { skuId, version, warehouses, totals }));
  }
  const settled = await Promise.allSettled(calls);
  const failed = settled.flatMap((s) => (s.status === "rejected" ? [String(s.reason)] : []));
  if (failed.length > 0) throw new Error(`stock feed publish failed for ${skuId}: ${failed.join("; ")}`);
}

/**
 * Pushes back to back start at least this far apart. Each push costs two feed RPCs and their
 * storage commits; at full speed they cost a burst 15-20% of its CPU (README, "Performance").
 */
const PUSH_GAP_MS = 100;

/**
 * Pushes a stock object's changes to its feeds, coalesced: at most one push in flight per object,
 * and under a burst at most one every PUSH_GAP_MS; changes made meanwhile go out together in the
 * next push, as the latest snapshot. A burst of claims therefore costs a few RPCs a second, not one
 * each, and the last state always goes out; a lone change goes at once. Each push carries the whole
 * snapshot, so a failed one is healed by the next.
 */
export class StockFeedPusher {
  private running = false;
  private again = false;
  private vendorId: string | null | undefined;
  private lastAvailable: number | null = null;

  constructor(
    private readonly env: Env,
    private readonly read: () => StockSnapshot,
  ) {}

  /** After a committed change. A promise for `waitUntil`, or null when the running push takes it. */
  changed(): Promise<void> | null {
    if (this.running) {
      this.again = true;
      return null;
    }
    this.running = true;
    return this.drain();
  }

  private async drain(): Promise<void> {
    try {
      let started = 0;
      do {
        const wait = started + PUSH_GAP_MS - Date.now();
        if (started > 0 && wait > 0) await new Promise((tick) => setTimeout(tick, wait));
        started = Date.now();
        this.again = false;
        const snap = this.read();
        if (!snap.skuId) return;
        // Holds that move from held to committed leave `available` as it was: storefronts need nothing.
        const publicFeed = snap.totals.available !== this.lastAvailable;
        try {
          // The SKU's vendor never changes: one D1 read per life of the object.
          if (this.vendorId === undefined) this.vendorId = await vendorOfSku(database(this.env), snap.skuId);
          await publishStock(this.env, this.vendorId, snap, { publicFeed });
          this.lastAvailable = snap.totals.available;
        } catch (err) {
          console.warn(JSON.stringify({ msg: "stock feed push failed", skuId: snap.skuId, error: String(err) }));
        }
      } while (this.again);
    } finally {
      this.running = false;
    }
  }
}
