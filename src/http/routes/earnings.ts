import type { Context } from "hono";
import { VendorParams } from "../../contracts/catalog";
import { json, ListQuery, page, problemResponses } from "../../contracts/common";
import { PlatformEarnings, SubOrderEarnings, VendorEarnings } from "../../contracts/earnings";
import { database } from "../../db/client";
import { findVendor } from "../../db/vendors";
import { earningsOfPlatform, earningsOfVendor, subOrderEarningsOfVendor } from "../../money/earnings";
import { type AppEnv, router } from "../context";
import { defineRoute } from "../route";
import { actsFor, notFound, pageStart, principalOf } from "../scope";

const vendorTotals = defineRoute({
  method: "get",
  path: "/vendors/{vendorId}/earnings",
  access: ["admin", "ops", "vendor"],
  summary: "A vendor's earnings: pending, cleared, in transit and transferred",
  description:
    "Sums of the ledger's entries for the vendor. Pending: sub-orders not delivered yet or inside the payout hold " +
    "(PAYOUT_HOLD_DAYS after delivery); cleared: payable now. A vendor may read only its own; any other id is 404.",
  request: { params: VendorParams },
  responses: { 200: json(VendorEarnings, "The vendor's earnings"), ...problemResponses },
});

const vendorSubOrders = defineRoute({
  method: "get",
  path: "/vendors/{vendorId}/earnings/sub-orders",
  access: ["admin", "ops", "vendor"],
  summary: "A vendor's earnings per sub-order, newest first, with each sub-order's ledger history",
  description: "Sub-orders whose money the ledger holds. A vendor may read only its own; any other id is 404.",
  request: { params: VendorParams, query: ListQuery },
  responses: { 200: json(page(SubOrderEarnings), "A page of sub-orders' earnings"), ...problemResponses },
});

const platformTotals = defineRoute({
  method: "get",
  path: "/admin/earnings",
  access: ["admin", "ops"],
  summary: "The marketplace's money: captured, fees, refunds, and what vendors are owed and were paid",
  request: {},
  responses: { 200: json(PlatformEarnings, "The totals"), ...problemResponses },
});

/** 404 for a vendor that does not exist or that the caller (another vendor) may not see. */
async function visibleVendor(c: Context<AppEnv>, vendorId: string) {
  const vendor = actsFor(principalOf(c), vendorId) ? await findVendor(database(c.env), vendorId) : null;
  if (!vendor) throw notFound("vendor", vendorId);
}

export const earnings = router()
  .openapi(vendorTotals, async (c) => {
    const { vendorId } = c.req.valid("param");
    await visibleVendor(c, vendorId);
    // An order held for review does not exist for its vendors, nor its money (README, "Fulfillment").
    const withHeld = principalOf(c).role !== "vendor";
    return c.json(await earningsOfVendor(c.env, vendorId, new Date(), withHeld), 200);
  })
  .openapi(vendorSubOrders, async (c) => {
    const { vendorId } = c.req.valid("param");
    const q = c.req.valid("query");
    await visibleVendor(c, vendorId);
    const found = await subOrderEarningsOfVendor(c.env, vendorId, {
      after: pageStart(q.cursor),
      limit: q.limit,
      now: new Date(),
      // An order held for review does not exist for its vendors (README, "Fulfillment").
      withHeld: principalOf(c).role !== "vendor",
    });
    return c.json(found, 200);
  })
  .openapi(platformTotals, async (c) => c.json(await earningsOfPlatform(c.env, new Date()), 200));
