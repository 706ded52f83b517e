import { database } from "../db/client";
import { findSku } from "../db/skus";
import { findVendor } from "../db/vendors";
import { actorOf, type Principal } from "../domain/principal";
import { type FeedName, opsFeed, skuFeed, subscribe, vendorFeed } from "../gateways/feeds";

export type Feed = { kind: "ops" } | { kind: "vendor"; vendorId: string } | { kind: "sku"; skuId: string };

/** The feed object's name, or null when the vendor or SKU it would follow does not exist. */
async function feedName(env: Env, feed: Feed): Promise<FeedName | null> {
  switch (feed.kind) {
    case "ops":
      return opsFeed;
    case "vendor":
      return (await findVendor(database(env), feed.vendorId)) ? vendorFeed(feed.vendorId) : null;
    case "sku":
      return (await findSku(database(env), feed.skuId)) ? skuFeed(feed.skuId) : null;
  }
}

/**
 * The WebSocket upgrade of `p` (anyone, for a SKU's public feed) onto a feed, replaying what came
 * after event `after`; null when the feed's vendor or SKU does not exist. The caller has already
 * decided that `p` may follow it.
 */
export async function openFeed(
  env: Env,
  feed: { kind: "ops" },
  p: Principal | null,
  after: number | undefined,
): Promise<Response>;
export async function openFeed(
  env: Env,
  feed: Feed,
  p: Principal | null,
  after: number | undefined,
): Promise<Response | null>;
export async function openFeed(
  env: Env,
  feed: Feed,
  p: Principal | null,
  after: number | undefined,
): Promise<Response | null> {
  const name = await feedName(env, feed);
  if (!name) return null;
  return subscribe(env, name, {
    role: p?.role ?? "public",
    principalId: p ? actorOf(p).id : null,
    tokenId: p?.tokenId ?? null,
    after: after ?? null,
  });
}
