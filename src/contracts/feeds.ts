import { z } from "@hono/zod-openapi";
import { Id, IsoTime } from "./common";

/**
 * The wire format of the live feeds (WebSocket, JSON text frames), shared by the Worker, the feed
 * object and web/. Four kinds of feed: `ops` (every order event), `vendor:<id>` (that vendor's
 * sub-orders and stock), `customer:<id>` (that shopper's own orders), `sku:<id>` (a SKU's available
 * count, for storefronts).
 */

/** A feed's event id: increases by one per event appended to that feed, never reused. */
export const FeedEventId = z.number().int().min(1);
/** The id of the last event a feed holds or a client has seen; 0 before the first. */
export const FeedCursor = z.number().int().min(0);

/** First frame on every connection: where the feed stands now. */
export const HelloFrame = z.object({ type: z.literal("hello"), lastId: FeedCursor }).strict();
export type HelloFrame = z.infer<typeof HelloFrame>;

/**
 * The `after` a client asked for is outside the retained window (or unknown to this feed): it
 * must reload its state from the API, then carry on from `lastId`.
 */
export const ResetFrame = z.object({ type: z.literal("reset"), lastId: FeedCursor }).strict();
export type ResetFrame = z.infer<typeof ResetFrame>;

/** One event of a feed. `type` is the order event type (`order.paid`, ...) or `stock.changed`. */
export const EventFrame = z
  .object({
    id: FeedEventId,
    type: z.string().min(1).max(100),
    at: IsoTime,
    data: z.record(z.string(), z.unknown()),
  })
  .strict();
export type EventFrame = z.infer<typeof EventFrame>;

/** Anything the server sends. */
export const ServerFrame = z.union([HelloFrame, ResetFrame, EventFrame]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/**
 * The only frame a client sends: the text `ping`, every 20 s. The object answers `pong` through
 * the hibernation API's auto-response, so a keep-alive never wakes it.
 */
export const PING = "ping";
export const PONG = "pong";
export const ClientFrame = z.literal(PING);
/**
 * The close code of a socket whose token was revoked or expired after it connected: the client
 * signs out instead of reconnecting.
 */
export const TOKEN_REVOKED_CLOSE = 4401;
export type ClientFrame = z.infer<typeof ClientFrame>;

// ---- event data, per feed kind ------------------------------------------------------------------

export const STOCK_CHANGED = "stock.changed";

/** `stock.changed` on a SKU feed: what a storefront may know, nothing about vendors or warehouses. */
export const PublicStockData = z.object({ skuId: z.string(), available: z.number().int() }).strict();
export type PublicStockData = z.infer<typeof PublicStockData>;

/** `stock.changed` on a vendor feed: the SKU's exact levels, as GET /v1/skus/{skuId}/stock gives them. */
export const VendorStockData = z.object({
  skuId: z.string(),
  version: z.number().int(),
  warehouses: z.array(
    z.object({
      warehouseId: z.string(),
      onHand: z.number().int(),
      available: z.number().int(),
      held: z.number().int(),
      committed: z.number().int(),
      /** The level's on-hand version, which a count sends back as its expectedVersion. */
      version: z.number().int(),
    }),
  ),
  totals: z.object({
    onHand: z.number().int(),
    available: z.number().int(),
    held: z.number().int(),
    committed: z.number().int(),
  }),
});
export type VendorStockData = z.infer<typeof VendorStockData>;

/**
 * An order event's data: the outbox payload with `orderId` and `outboxId`. On a vendor feed,
 * `subOrders` lists only that vendor's sub-orders and parent-only money fields and the review are
 * left out; nothing written while the order is held for review reaches a vendor feed, and the
 * approval (`order.approved`, naming the sub-orders to ship) arrives there as a new order. A move to
 * another vendor reaches the source as `sub_order.reassigned` `{subOrderId, vendorId, moves: [{lineId,
 * skuId, warehouseId, qty}]}` and the target as `sub_order.reassigned_in` with its own sub-order, SKUs
 * and warehouses: neither learns the other's ids.
 */
export const OrderEventData = z
  .object({
    orderId: z.string().nullable(),
    outboxId: z.number().int(),
    subOrders: z.array(z.object({ id: z.string(), vendorId: z.string() })).optional(),
  })
  .passthrough();
export type OrderEventData = z.infer<typeof OrderEventData>;

/**
 * An order event's data on a customer feed: which order and parcel moved, and where to, nothing
 * more (no notes, no money, no other party's ids beyond the parcel's). The shopper's screen reloads
 * its order from the API, which answers with what a customer may see.
 */
export const CustomerOrderEventData = z
  .object({
    orderId: z.string(),
    outboxId: z.number().int(),
    subOrderId: z.string().optional(),
    status: z.string().optional(),
    carrier: z.string().optional(),
    carrierName: z.string().optional(),
    awb: z.string().optional(),
  })
  .strict();
export type CustomerOrderEventData = z.infer<typeof CustomerOrderEventData>;

// ---- publishing (RPC into the feed object) ------------------------------------------------------

/** One event to append; `sourceId` (e.g. `outbox:42`) makes a repeated publication a no-op. */
export const FeedEventInput = z.object({
  sourceId: z.string().min(1).max(200),
  type: z.string().min(1).max(100),
  at: IsoTime,
  data: z.record(z.string(), z.unknown()),
});
export type FeedEventInput = z.infer<typeof FeedEventInput>;

// ---- HTTP -------------------------------------------------------------------------------------

/** How long a feed ticket stays usable: long enough to open the socket right after minting it. */
export const FEED_TICKET_SECONDS = 30;

/** A feed by its name: `ops`, `vendor:<vendorId>`, `customer:<customerId>` or `sku:<skuId>`. */
export const FeedNameText = z
  .string()
  .regex(
    /^(ops|(vendor|customer|sku):[^\s:]{1,64})$/,
    "must be 'ops', 'vendor:<vendorId>', 'customer:<customerId>' or 'sku:<skuId>'",
  )
  .openapi({ example: "vendor:ven_8f2k1q" });

export const FeedTicketRequest = z.object({ feed: FeedNameText }).strict();
export type FeedTicketRequest = z.infer<typeof FeedTicketRequest>;

/** A single-use ticket for one feed, bound to the caller: open the feed with `?ticket=` before it expires. */
export const FeedTicket = z.object({
  ticket: z.string(),
  feed: FeedNameText,
  expiresAt: IsoTime,
});
export type FeedTicket = z.infer<typeof FeedTicket>;

export const FeedQuery = z.object({
  ticket: z.string().min(1).max(128).optional().openapi({
    description:
      "A ticket from POST /v1/feeds/tickets for this feed, used once; required except on SKU feeds, which anyone may open.",
  }),
  after: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({ description: "Last event id seen: the missed events follow the hello frame, or a reset frame." }),
});
export type FeedQuery = z.infer<typeof FeedQuery>;

export const UpgradeHeaders = z.object({
  upgrade: z
    .string()
    .regex(/^websocket$/i, "must be 'websocket': feeds are WebSockets")
    .openapi({ description: "websocket" }),
});

export const VendorFeedParams = z.object({ vendorId: Id });
export const CustomerFeedParams = z.object({ customerId: Id });
export const SkuFeedParams = z.object({ skuId: Id });
