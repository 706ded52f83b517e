import { and, eq, sql } from "drizzle-orm";
import { vendors } from "./schema";

/**
 * Whether a vendor's offers sell: active, and approved by ops if it onboarded itself. Every read
 * that lists, prices, routes or sells an offer filters on this, so a draft is never live.
 */
export const vendorSells = and(eq(vendors.status, "active"), eq(vendors.onboarding, "approved"))!;

/**
 * The vendor's status as checkout, quotes and overrides judge an offer: a vendor still onboarding
 * reads as not active, so each of them refuses its SKUs exactly as it refuses a suspended vendor's.
 * Plain SQL over the `vendors` table, so checkout's hand-written read (checkout-reads.ts) shares it.
 */
export const VENDOR_SELLING_STATUS_SQL = `case when "vendors"."onboarding" = 'approved' then "vendors"."status" else 'onboarding' end`;
export const vendorSellingStatus = sql<string>`${sql.raw(VENDOR_SELLING_STATUS_SQL)}`;
