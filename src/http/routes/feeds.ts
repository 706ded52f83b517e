import type { MiddlewareHandler } from "hono";
import { problemResponses } from "../../contracts/common";
import { FeedQuery, SkuFeedParams, UpgradeHeaders, VendorFeedParams } from "../../contracts/feeds";
import { openFeed } from "../../live-feeds/subscribe";
import { resolve } from "../auth";
import { type AppEnv, router } from "../context";
import { ApiError } from "../errors";
import { defineRoute } from "../route";
import { actsFor, notFound } from "../scope";

/**
 * Browsers cannot set headers on a WebSocket, so feeds also take the token as `?token=`. Resolved
 * before the route's access rule runs; a header token, when present, wins.
 */
function queryToken(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = c.req.query("token");
    if (token && !c.get("principal")) {
      const principal = await resolve(c.env, token);
      if (!principal) throw new ApiError("UNAUTHENTICATED", "The token is unknown or revoked");
      c.set("principal", principal);
    }
    await next();
  };
}

const upgrade = {
  101: { description: "Switching Protocols: JSON frames follow (hello, then events; see contracts/feeds.ts)" },
  ...problemResponses,
} as const;

const frames =
  "Frames: `{type:'hello', lastId}` on connect, then `{id, type, at, data}` with `id` increasing by one per feed; " +
  "with `after`, the missed events follow the hello, or `{type:'reset', lastId}` when `after` is past the last " +
  "1,000 events. Send the text `ping` every 20 s; `pong` comes back. A request without `Upgrade: websocket` is 422.";

const ops = defineRoute({
  method: "get",
  path: "/feeds/ops",
  access: ["admin", "ops"],
  summary: "Live feed of every order event (WebSocket)",
  description: frames,
  request: { query: FeedQuery, headers: UpgradeHeaders },
  responses: upgrade,
});

const vendor = defineRoute({
  method: "get",
  path: "/feeds/vendors/{vendorId}",
  access: ["admin", "ops", "vendor"],
  summary: "Live feed of one vendor's sub-order events and stock levels (WebSocket)",
  description: `A vendor may open only its own feed; any other id is 404. ${frames}`,
  request: { params: VendorFeedParams, query: FeedQuery, headers: UpgradeHeaders },
  responses: upgrade,
});

const sku = defineRoute({
  method: "get",
  path: "/feeds/skus/{skuId}",
  access: "public",
  summary: "Live available count of one SKU, for storefronts (WebSocket; no token needed)",
  description: `Events are \`stock.changed\` with \`{skuId, available}\` only. ${frames}`,
  request: { params: SkuFeedParams, query: FeedQuery, headers: UpgradeHeaders },
  responses: upgrade,
});

const base = router();
base.use("/feeds/*", queryToken());

export const feeds = base
  .openapi(ops, async (c) => {
    const { after } = c.req.valid("query");
    return openFeed(c.env, { kind: "ops" }, c.get("principal"), after);
  })
  .openapi(vendor, async (c) => {
    const { vendorId } = c.req.valid("param");
    const { after } = c.req.valid("query");
    const p = c.get("principal")!;
    const feed = actsFor(p, vendorId) ? await openFeed(c.env, { kind: "vendor", vendorId }, p, after) : null;
    if (!feed) throw notFound("vendor", vendorId);
    return feed;
  })
  .openapi(sku, async (c) => {
    const { skuId } = c.req.valid("param");
    const { after } = c.req.valid("query");
    const feed = await openFeed(c.env, { kind: "sku", skuId }, c.get("principal"), after);
    if (!feed) throw notFound("SKU", skuId);
    return feed;
  });
