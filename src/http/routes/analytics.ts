import type { Context } from "hono";
import {
  platformAnalytics,
  rangeOf,
  topVendors,
  vendorAnalytics,
  vendorInventory,
  vendorProductSales,
} from "../../analytics/reports";
import { rebuildAnalyticsRollups } from "../../analytics/runs";
import {
  AnalyticsRangeQuery,
  AnalyticsVendorParams,
  PlatformAnalytics,
  RollupRun,
  TopVendors,
  TopVendorsQuery,
  VendorAnalytics,
  VendorInventory,
  VendorProductSales,
} from "../../contracts/analytics";
import { json, problemResponses } from "../../contracts/common";
import { database } from "../../db/client";
import { findVendor } from "../../db/vendors";
import { config } from "../../platform/config";
import { type AppEnv, router } from "../context";
import { defineRoute } from "../route";
import { actsFor, notFound, principalOf } from "../scope";

const asOfNote =
  "Read from the roll-ups (per day in the marketplace's time zone, each order on the day it was placed), never from the orders; `asOf` says when they last caught up.";

const platform = defineRoute({
  method: "get",
  path: "/analytics/platform",
  access: ["admin", "ops"],
  summary: "Platform figures: GMV, orders, sellers per cart, fulfilment errors, SLA, times to dispatch and delivery",
  description: asOfNote,
  request: { query: AnalyticsRangeQuery },
  responses: { 200: json(PlatformAnalytics, "The platform's figures over the range"), ...problemResponses },
});

const vendorsTop = defineRoute({
  method: "get",
  path: "/analytics/platform/top-vendors",
  access: ["admin", "ops"],
  summary: "Vendors by sales over the range",
  description: asOfNote,
  request: { query: TopVendorsQuery },
  responses: { 200: json(TopVendors, "The top vendors"), ...problemResponses },
});

const vendorSummary = defineRoute({
  method: "get",
  path: "/analytics/vendors/{vendorId}",
  access: ["admin", "ops", "vendor"],
  summary: "A vendor's sales, returns, cancellations, SLA and times to dispatch and delivery",
  description: `${asOfNote} A vendor reads only its own; another vendor's id is 404.`,
  request: { params: AnalyticsVendorParams, query: AnalyticsRangeQuery },
  responses: { 200: json(VendorAnalytics, "The vendor's figures"), ...problemResponses },
});

const vendorProducts = defineRoute({
  method: "get",
  path: "/analytics/vendors/{vendorId}/products",
  access: ["admin", "ops", "vendor"],
  summary: "A vendor's sales and return rate by product",
  description: `${asOfNote} A vendor reads only its own; another vendor's id is 404.`,
  request: { params: AnalyticsVendorParams, query: AnalyticsRangeQuery },
  responses: { 200: json(VendorProductSales, "Sales by product"), ...problemResponses },
});

const vendorStock = defineRoute({
  method: "get",
  path: "/analytics/vendors/{vendorId}/inventory",
  access: ["admin", "ops", "vendor"],
  summary: "A vendor's inventory turnover and days of cover per SKU",
  description: `${asOfNote} Stock comes from the daily snapshots of the stock mirror. A vendor reads only its own; another vendor's id is 404.`,
  request: { params: AnalyticsVendorParams, query: AnalyticsRangeQuery },
  responses: { 200: json(VendorInventory, "Turnover and cover per SKU"), ...problemResponses },
});

const rebuild = defineRoute({
  method: "post",
  path: "/admin/analytics/rebuild",
  access: ["admin"],
  summary: "Rebuild the analytics roll-ups from the orders",
  description:
    "Marks every day from the first order's to today for recomputation and moves the watermark to the newest event; the first page runs now, the rest continue on the queue. The body, when sent, is `{}`.",
  responses: { 200: json(RollupRun, "The first page of the rebuild"), ...problemResponses },
});

const marketplace = (env: Env) => {
  const c = config(env);
  return { currency: c.currency, timeZone: c.timeZone };
};

/** The vendor the caller may read: 404 for another vendor's id or an unknown one. */
async function readableVendor(c: Context<AppEnv>, vendorId: string) {
  const known = actsFor(principalOf(c), vendorId) ? await findVendor(database(c.env), vendorId) : null;
  if (!known) throw notFound("vendor", vendorId);
}

export const analytics = router()
  .openapi(platform, async (c) => {
    const m = marketplace(c.env);
    const range = rangeOf(c.req.valid("query"), m.timeZone, new Date());
    return c.json(await platformAnalytics(database(c.env), m, range), 200);
  })
  .openapi(vendorsTop, async (c) => {
    const m = marketplace(c.env);
    const q = c.req.valid("query");
    return c.json(await topVendors(database(c.env), m, rangeOf(q, m.timeZone, new Date()), q.limit), 200);
  })
  .openapi(vendorSummary, async (c) => {
    const { vendorId } = c.req.valid("param");
    await readableVendor(c, vendorId);
    const m = marketplace(c.env);
    const range = rangeOf(c.req.valid("query"), m.timeZone, new Date());
    return c.json(await vendorAnalytics(database(c.env), m, vendorId, range), 200);
  })
  .openapi(vendorProducts, async (c) => {
    const { vendorId } = c.req.valid("param");
    await readableVendor(c, vendorId);
    const m = marketplace(c.env);
    const range = rangeOf(c.req.valid("query"), m.timeZone, new Date());
    return c.json(await vendorProductSales(database(c.env), m, vendorId, range), 200);
  })
  .openapi(vendorStock, async (c) => {
    const { vendorId } = c.req.valid("param");
    await readableVendor(c, vendorId);
    const m = marketplace(c.env);
    const now = new Date();
    const range = rangeOf(c.req.valid("query"), m.timeZone, now);
    return c.json(await vendorInventory(database(c.env), m, vendorId, range, now), 200);
  })
  .openapi(rebuild, async (c) => c.json(await rebuildAnalyticsRollups(c.env, new Date()), 200));
