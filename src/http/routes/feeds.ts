import type { Context } from "hono";
import { json, jsonBody, problemResponses } from "../../contracts/common";
import {
  CustomerFeedParams,
  FeedQuery,
  FeedTicket,
  FeedTicketRequest,
  SkuFeedParams,
  UpgradeHeaders,
  VendorFeedParams,
} from "../../contracts/feeds";
import { type Feed, openFeed } from "../../live-feeds/subscribe";
import { feedOfName, issueFeedTicket } from "../../live-feeds/tickets";
import { type AppEnv, router } from "../context";
import { ApiError } from "../errors";
import { defineRoute } from "../route";
import { notFound, principalOf } from "../scope";

const upgrade = {
  101: { description: "Switching Protocols: JSON frames follow (hello, then events; see contracts/feeds.ts)" },
  ...problemResponses,
} as const;

const frames =
  "Frames: `{type:'hello', lastId}` on connect, then `{id, type, at, data}` with `id` increasing by one per feed; " +
  "with `after`, the missed events follow the hello, or `{type:'reset', lastId}` when `after` is past the last " +
  "1,000 events. Send the text `ping` every 20 s; `pong` comes back. A request without `Upgrade: websocket` is 422.";

const ticketed =
  "Opened with `?ticket=` from POST /v1/feeds/tickets (no token in the URL); a missing, used, expired or " +
  "other feed's ticket is 401.";

const ticket = defineRoute({
  method: "post",
  path: "/feeds/tickets",
  access: ["admin", "ops", "vendor", "customer"],
  summary: "A single-use ticket to open one live feed (valid 30 s)",
  description:
    "`feed` is `ops` (admin, ops), `vendor:<vendorId>` (that vendor, ops, admin; another vendor's is 404), " +
    "`customer:<customerId>` (that customer, signed in or guest, ops, admin; another customer's is 404) or " +
    "`sku:<skuId>` (anyone signed in; the SKU feeds also open without a ticket). The ticket is bound to the " +
    "caller and the feed, opens one socket, and that socket is closed when the caller's token is revoked. " +
    "Mint one before each (re)connect.",
  request: jsonBody(FeedTicketRequest),
  responses: { 201: json(FeedTicket, "Minted"), ...problemResponses },
});

const ops = defineRoute({
  method: "get",
  path: "/feeds/ops",
  access: "public",
  summary: "Live feed of every order event (WebSocket; admin, ops, by ticket)",
  description: `${ticketed} ${frames}`,
  request: { query: FeedQuery, headers: UpgradeHeaders },
  responses: upgrade,
});

const vendor = defineRoute({
  method: "get",
  path: "/feeds/vendors/{vendorId}",
  access: "public",
  summary:
    "Live feed of one vendor's sub-order events and stock levels (WebSocket; that vendor, ops, admin, by ticket)",
  description: `${ticketed} ${frames}`,
  request: { params: VendorFeedParams, query: FeedQuery, headers: UpgradeHeaders },
  responses: upgrade,
});

const customer = defineRoute({
  method: "get",
  path: "/feeds/customers/{customerId}",
  access: "public",
  summary: "Live feed of one shopper's own order events (WebSocket; that customer, ops, admin, by ticket)",
  description:
    `${ticketed} Events are the order's and its parcels' (\`order.paid\`, \`sub_order.dispatched\`, ...) with ` +
    "`{orderId, outboxId, subOrderId?, status?, carrier?, carrierName?, awb?}` only: no notes, no money; an order " +
    `held for review shows as held, never why. Reload the order from GET /v1/orders/{id} on each. ${frames}`,
  request: { params: CustomerFeedParams, query: FeedQuery, headers: UpgradeHeaders },
  responses: upgrade,
});

const sku = defineRoute({
  method: "get",
  path: "/feeds/skus/{skuId}",
  access: "public",
  summary: "Live available count of one SKU, for storefronts (WebSocket; no ticket needed)",
  description:
    "Anyone may open it without a ticket; with one, the socket is closed when the token that minted it is " +
    `revoked, and a bad ticket is 401. Events are \`stock.changed\` with \`{skuId, available}\` only. ${frames}`,
  request: { params: SkuFeedParams, query: FeedQuery, headers: UpgradeHeaders },
  responses: upgrade,
});

/** Opens the feed or answers the route's problem; the ticket is never echoed into one. */
async function upgradeTo(c: Context<AppEnv>, feed: Feed, q: FeedQuery): Promise<Response> {
  const opened = await openFeed(c.env, feed, q.ticket, q.after, new Date());
  if (opened.ok) return opened.response;
  if (opened.code === "NOT_FOUND" && feed.kind === "sku") throw notFound("SKU", feed.skuId);
  throw new ApiError(
    "UNAUTHENTICATED",
    q.ticket === undefined
      ? "Open this feed with a ticket from POST /v1/feeds/tickets"
      : "The ticket is unknown, used, expired or for another feed",
  );
}

export const feeds = router()
  .openapi(ticket, async (c) => {
    const { feed } = c.req.valid("json");
    const issued = await issueFeedTicket(c.env, principalOf(c), feedOfName(feed), new Date());
    if (issued.ok) return c.json(issued.ticket, 201);
    if (issued.code === "FORBIDDEN") throw new ApiError("FORBIDDEN", "This role may not follow that feed");
    throw new ApiError("NOT_FOUND", `No feed ${feed}`);
  })
  .openapi(ops, async (c) => upgradeTo(c, { kind: "ops" }, c.req.valid("query")))
  .openapi(vendor, async (c) =>
    upgradeTo(c, { kind: "vendor", vendorId: c.req.valid("param").vendorId }, c.req.valid("query")),
  )
  .openapi(customer, async (c) =>
    upgradeTo(c, { kind: "customer", customerId: c.req.valid("param").customerId }, c.req.valid("query")),
  )
  .openapi(sku, async (c) => upgradeTo(c, { kind: "sku", skuId: c.req.valid("param").skuId }, c.req.valid("query")));
