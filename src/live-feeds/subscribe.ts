import { database } from "../db/client";
import { customerExists } from "../db/customers";
import { consumeFeedTicket } from "../db/feed-tickets";
import { findSku, skuOnSale } from "../db/skus";
import { findVendor } from "../db/vendors";
import { sha256Hex } from "../domain/crypto";
import { managesStockOf, type Principal } from "../domain/principal";
import { isoSeconds } from "../domain/time";
import { customerFeed, type FeedName, opsFeed, skuFeed, subscribe, vendorFeed } from "../gateways/feeds";

export type Feed =
  | { kind: "ops" }
  | { kind: "vendor"; vendorId: string }
  | { kind: "customer"; customerId: string }
  | { kind: "sku"; skuId: string };

export function feedNameOf(feed: Feed): FeedName {
  switch (feed.kind) {
    case "ops":
      return opsFeed;
    case "vendor":
      return vendorFeed(feed.vendorId);
    case "customer":
      return customerFeed(feed.customerId);
    case "sku":
      return skuFeed(feed.skuId);
  }
}

/**
 * Whether the vendor, customer or SKU a feed would follow exists for `p` (the ops feed always does):
 * a SKU's live count is public only while the catalog lists it; its vendor, ops and admins follow it
 * whatever its state.
 */
export async function feedExists(env: Env, feed: Feed, p: Principal | null): Promise<boolean> {
  switch (feed.kind) {
    case "ops":
      return true;
    case "vendor":
      return (await findVendor(database(env), feed.vendorId)) !== null;
    case "customer":
      return customerExists(database(env), feed.customerId);
    case "sku": {
      const sku = await findSku(database(env), feed.skuId);
      if (!sku) return false;
      return managesStockOf(p, sku.vendorId) || skuOnSale(database(env), sku.id);
    }
  }
}

export type OpenFeed = { ok: true; response: Response } | { ok: false; code: "UNAUTHENTICATED" | "NOT_FOUND" };

/**
 * The WebSocket upgrade onto a feed, replaying what came after event `after`. A ticket (see
 * tickets.ts) is used up here and lets its holder on, as the principal and token that minted it;
 * the feed was checked to exist when it was minted. Without a ticket only a SKU's public feed
 * opens, to anyone; the others are UNAUTHENTICATED, as is a ticket that is unknown, used, expired,
 * for another feed or minted by a token revoked since.
 */
export async function openFeed(
  env: Env,
  feed: Feed,
  ticket: string | undefined,
  after: number | undefined,
  now: Date,
): Promise<OpenFeed> {
  const name = feedNameOf(feed);
  if (ticket !== undefined) {
    const holder = await consumeFeedTicket(database(env), await sha256Hex(ticket), name, isoSeconds(now));
    if (!holder) return { ok: false, code: "UNAUTHENTICATED" };
    const response = await subscribe(env, name, { ...holder, after: after ?? null });
    return { ok: true, response };
  }
  if (feed.kind !== "sku") return { ok: false, code: "UNAUTHENTICATED" };
  if (!(await feedExists(env, feed, null))) return { ok: false, code: "NOT_FOUND" };
  const response = await subscribe(env, name, {
    role: "public",
    principalId: null,
    tokenId: null,
    after: after ?? null,
  });
  return { ok: true, response };
}
