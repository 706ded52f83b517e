/**
 * Why the SkuStock object calls out: screens watch stock live. After each change the object pushes
 * its levels to the SKU's public feed (the available total of its open warehouses) and to its
 * vendor's feed (exact per warehouse), by RPC to those Feed objects, not through the Queue's batching.
 */
import { type PublicStockData, STOCK_CHANGED, type VendorStockData } from "../../src/contracts/feeds";
import { database } from "../../src/db/client";
import { sellerOfSku } from "../../src/db/feeds";
import { sellableUnits } from "../../src/domain/stock-allocation";
import { isoSeconds } from "../../src/domain/time";
import { type FeedName, skuFeed, vendorFeed } from "../feed-rpc";
import type { StockSnapshot } from "../sku-stock-rpc";

/**
 * A SKU's new levels: exact per warehouse to its vendor's feed, the sellable total alone to the
 * SKU's public feed. Keyed by the snapshot's version, so a repeated push appends nothing. Says
 * how the public push went (skipped when the count did not change) and what failed: one feed may
 * fail alone.
 */
async function publishStock(
  env: Env,
  vendorId: string | null,
  snapshot: StockSnapshot,
  opts: { publicFeed: boolean; available: number },
): Promise<{ publicFeed: "sent" | "skipped" | "failed"; failed: string[] }> {
  const { skuId } = snapshot;
  const at = isoSeconds(Date.now());
  const sourceId = `stock:${skuId}:${snapshot.version}`;
  const publish = (name: FeedName, data: PublicStockData | VendorStockData) =>
    env.FEEDS.get(env.FEEDS.idFromName(name)).publish([{ sourceId, type: STOCK_CHANGED, at, data }]);
  const [toPublic, toVendor] = await Promise.allSettled([
    opts.publicFeed ? publish(skuFeed(skuId), { skuId, available: opts.available }) : null,
    vendorId
      ? publish(vendorFeed(vendorId), {
          skuId,
          version: snapshot.version,
          warehouses: snapshot.warehouses,
          totals: snapshot.totals,
        })
      : null,
  ]);
  const failed = [toPublic, toVendor].flatMap((s) => (s.status === "rejected" ? [String(s.reason)] : []));
  const publicFeed = !opts.publicFeed ? "skipped" : toPublic.status === "fulfilled" ? "sent" : "failed";
  return { publicFeed, failed };
}

/**
 * Pushes back to back start at least this far apart. Each push costs two feed RPCs and their
 * storage commits; at full speed they cost a burst 15-20% of its CPU (README, "Performance").
 */
const PUSH_GAP_MS = 100;

/**
 * A push that failed with no change after it is tried again after 1 s, then twice as long each
 * time, six times in all (about a minute): no later change may come to carry the last count, as
 * after a sale's last unit. A change meanwhile goes at once, at the usual pace, whatever failed.
 */
const RETRY_FIRST_MS = 1_000;
const RETRIES = 6;

/**
 * How long the pusher trusts what it read of the SKU's seller (its closed warehouses) before it
 * reads it again: a warehouse closed meanwhile is out of the storefront count by the next push after.
 */
const SELLER_TTL_MS = 30_000;

type Seller = Awaited<ReturnType<typeof sellerOfSku>> & { readAt: number; epoch: number };

/**
 * Pushes a stock object's changes to its feeds, coalesced: at most one push in flight per object,
 * and under a burst at most one every PUSH_GAP_MS; changes made meanwhile go out together in the
 * next push, as the latest snapshot. A burst of claims therefore costs a few RPCs a second, not one
 * each, and the last state always goes out; a lone change goes at once. Each push carries the whole
 * snapshot, so a failed one is healed by the next, or by its own retries when no change follows.
 */
export class StockFeedPusher {
  private running = false;
  private again = false;
  private seller: Seller | null = null;
  /** Moves when a warehouse opens or closes: a seller read under an older epoch is stale. */
  private sellerEpoch = 0;
  private lastAvailable: number | null = null;
  /** Ends a retry's wait early: set while one waits. */
  private wake: (() => void) | null = null;

  constructor(
    private readonly env: Env,
    private readonly read: () => StockSnapshot,
  ) {}

  /** After a committed change. A promise for `waitUntil`, or null when the running push takes it. */
  changed(): Promise<void> | null {
    if (this.running) {
      this.again = true;
      this.wake?.();
      return null;
    }
    this.running = true;
    return this.drain();
  }

  /** A warehouse of the SKU's vendor opened or closed: the next push reads the seller again. */
  forgetSeller(): void {
    this.sellerEpoch++;
  }

  private async drain(): Promise<void> {
    try {
      let started = 0;
      let failures = 0;
      // The next push is a retry of one that failed, no change having come since.
      let retry = false;
      do {
        const gap = retry ? RETRY_FIRST_MS * 2 ** (failures - 1) : PUSH_GAP_MS;
        const wait = started + gap - Date.now();
        if (started > 0 && wait > 0) await this.pause(wait, retry);
        started = Date.now();
        // A change came: this push carries it, and is no retry.
        if (this.again) retry = false;
        this.again = false;
        const snap = this.read();
        if (!snap.skuId) return;
        let failed: string[];
        try {
          const seller = await this.sellerOf(snap.skuId);
          const available = sellableUnits(snap.warehouses, seller.closedWarehouseIds);
          // Holds that move from held to committed leave `available` as it was: storefronts need nothing.
          const publicFeed = available !== this.lastAvailable;
          const pushed = await publishStock(this.env, seller.vendorId, snap, { publicFeed, available });
          // A failed public push may still have landed: whatever comes next is pushed to it.
          if (pushed.publicFeed === "sent") this.lastAvailable = available;
          if (pushed.publicFeed === "failed") this.lastAvailable = null;
          failed = pushed.failed;
        } catch (err) {
          failed = [String(err)];
        }
        if (failed.length > 0) {
          console.warn(JSON.stringify({ msg: "stock feed push failed", skuId: snap.skuId, error: failed }));
        }
        // Only a push no change came after is retried, and only retries spend the retries: a change
        // carries the latest levels, and its own push, failing, starts them afresh.
        if (failed.length === 0 || this.again) {
          failures = 0;
          retry = false;
          continue;
        }
        failures = retry ? failures + 1 : 1;
        retry = failures <= RETRIES;
      } while (this.again || retry);
    } finally {
      this.running = false;
    }
  }

  /** Waits `ms`; a retry's wait ends early when a change comes, which then goes at once. */
  private pause(ms: number, wakeable: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      if (wakeable)
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
    }).finally(() => {
      this.wake = null;
    });
  }

  /** One D1 read per SELLER_TTL_MS at most, however fast the pushes go. */
  private async sellerOf(skuId: string): Promise<Seller> {
    const now = Date.now();
    const epoch = this.sellerEpoch;
    const cached = this.seller;
    if (cached && cached.epoch === epoch && now - cached.readAt < SELLER_TTL_MS) return cached;
    const seller = { ...(await sellerOfSku(database(this.env), skuId)), readAt: now, epoch };
    this.seller = seller;
    return seller;
  }
}
