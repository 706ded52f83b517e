/**
 * What crosses a Feed object's stub: its name, the subscriber handed over with a WebSocket upgrade,
 * and the answer to `publish`. Shared by the gateway and the stock objects that push to feeds.
 */
import { z } from "zod";

/** A feed is one object, found by its name: `ops`, `vendor:<vendorId>`, `customer:<customerId>` or `sku:<skuId>`. */
export type FeedName = "ops" | `vendor:${string}` | `customer:${string}` | `sku:${string}`;

export const opsFeed: FeedName = "ops";
export const vendorFeed = (vendorId: string): FeedName => `vendor:${vendorId}`;
export const customerFeed = (customerId: string): FeedName => `customer:${customerId}`;
export const skuFeed = (skuId: string): FeedName => `sku:${skuId}`;

/** Who a socket belongs to, kept on the socket itself so it survives hibernation. */
export const Subscriber = z.object({
  role: z.enum(["admin", "ops", "vendor", "customer", "public"]),
  principalId: z.string().nullable(),
  /** The API token it connected with; none on the public SKU feeds. */
  tokenId: z.string().nullable(),
  after: z.number().int().min(0).nullable(),
});
export type Subscriber = z.infer<typeof Subscriber>;

export type PublishResult = { appended: number; lastId: number };

/**
 * How long a feed remembers a source id, so publishing it again appends nothing: far longer than
 * the Queue fallback can lag behind the fast path (5 retries with backoff of at most 5 minutes each).
 */
export const SOURCE_MEMORY_MS = 24 * 3600 * 1000;
