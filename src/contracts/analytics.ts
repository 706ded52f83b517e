import { z } from "@hono/zod-openapi";
import { Currency, Id, IsoTime } from "./common";

/**
 * The analytics API: every figure is read from the roll-up tables (never from the orders; a
 * vendor's payouts from the payout transfers), per day in the marketplace's time zone, each order
 * counted on the day it was placed. Money is integer
 * minor units in `currency`; rates are basis points (1/100 of a percent) so they stay integers.
 */

/**
 * The days a query may name: every day of a range, and the 30 before a lone `to`, keep a four-digit
 * year as day strings must, and the time-zone arithmetic (Date.UTC reads years 0-99 as 1900-1999)
 * holds.
 */
export const FIRST_DAY = "1970-01-01";
export const LAST_DAY = "9998-12-31";

/** A calendar day in the marketplace's time zone, from FIRST_DAY to LAST_DAY. */
export const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a day as YYYY-MM-DD")
  .refine(
    (d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    {
      message: "not a calendar day",
    },
  )
  .refine((d) => d >= FIRST_DAY && d <= LAST_DAY, { message: `from ${FIRST_DAY} to ${LAST_DAY}` })
  .openapi({ example: "2026-11-20" });

/** The longest range one request may ask for: a year and a day, so a leap year fits. */
export const MAX_RANGE_DAYS = 366;
/** Without `from`/`to`: the 30 days ending today. */
export const DEFAULT_RANGE_DAYS = 30;

const rangeFields = { from: Day.optional(), to: Day.optional() };

/** The range checks of every analytics query: in order, and at most MAX_RANGE_DAYS long. */
function checkedRange<T extends z.ZodObject<typeof rangeFields>>(query: T) {
  return query
    .refine((q) => !q.from || !q.to || q.from <= q.to, { message: "from must not be after to", path: ["from"] })
    .refine((q) => !q.from || !q.to || (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 < MAX_RANGE_DAYS, {
      message: `at most ${MAX_RANGE_DAYS} days`,
      path: ["to"],
    });
}

export const AnalyticsRangeQuery = checkedRange(z.object(rangeFields));
export type AnalyticsRangeQuery = z.infer<typeof AnalyticsRangeQuery>;

export const TopVendorsQuery = checkedRange(
  z.object({ ...rangeFields, limit: z.coerce.number().int().min(1).max(100).default(10) }),
);
export type TopVendorsQuery = z.infer<typeof TopVendorsQuery>;

export const AnalyticsVendorParams = z.object({ vendorId: Id });

const Count = z.number().int().nonnegative();
const Minor = z.number().int();
const Bps = z.number().int().nonnegative().openapi({ description: "basis points: 10000 = 100%" });

/** Fields every analytics response carries. */
const base = {
  /** When the roll-ups last caught up with the order event log; null before the first refresh. */
  asOf: IsoTime.nullable(),
  currency: Currency,
  timeZone: z.string().openapi({ example: "Asia/Kolkata" }),
  from: Day,
  to: Day,
};

/**
 * A percentile estimated from a bucketed histogram (README, "Analytics"): linear inside the bucket
 * holding the rank; null without samples. Bucket bounds are minutes; the last bucket is open.
 */
export const Latency = z
  .object({
    count: Count,
    p50Minutes: z.number().int().nonnegative().nullable(),
    p90Minutes: z.number().int().nonnegative().nullable(),
    buckets: z.array(z.object({ upToMinutes: z.number().int().positive().nullable(), count: Count })),
  })
  .openapi("AnalyticsLatency");
export type Latency = z.infer<typeof Latency>;

const platformFigures = {
  /** Totals of paid orders (the shopper paid; later refunds are in `refundedMinor`). */
  gmvMinor: Minor,
  refundedMinor: Minor,
  ordersPlaced: Count,
  ordersPaid: Count,
  subOrders: Count,
  /** Sub-orders cancelled (by anyone, SLA breaches included). */
  cancelledSubOrders: Count,
  /** Sub-orders cancelled because their dispatch deadline passed. */
  slaBreaches: Count,
  /** Sub-orders whose vendor was nudged before the deadline. */
  slaNudges: Count,
  /** Sub-orders with at least one returned unit. */
  returnedSubOrders: Count,
  dispatchedSubOrders: Count,
  deliveredSubOrders: Count,
};

export const PlatformDay = z.object({ day: Day, ...platformFigures }).openapi("PlatformAnalyticsDay");
export type PlatformDay = z.infer<typeof PlatformDay>;

export const PlatformAnalytics = z
  .object({
    ...base,
    days: z.array(PlatformDay),
    totals: z.object({
      ...platformFigures,
      /** Sub-orders of paid orders per paid order, ×100 (e.g. 150 = 1.5 sellers a cart). */
      avgSellersPerCartX100: Count,
      /** (cancelled + returned sub-orders) / sub-orders of paid orders. */
      fulfilmentErrorRateBps: Bps,
      cancellationRateBps: Bps,
      slaBreachRateBps: Bps,
      returnRateBps: Bps,
    }),
    timeToDispatch: Latency,
    timeToDelivery: Latency,
  })
  .openapi("PlatformAnalytics");
export type PlatformAnalytics = z.infer<typeof PlatformAnalytics>;

export const TopVendor = z
  .object({
    vendorId: Id,
    vendorName: z.string(),
    gmvMinor: Minor.openapi({
      description:
        "The vendor's sales: its paid sub-orders, cancelled ones and those of orders held for review left out",
    }),
    subOrders: Count,
    units: Count,
    cancelledSubOrders: Count,
    returnedUnits: Count,
  })
  .openapi("AnalyticsTopVendor");
export type TopVendor = z.infer<typeof TopVendor>;

/**
 * Vendors by sales over the range, with all vendors' sales a day for the chart. `gmvMinor` here
 * leaves cancelled sub-orders out, as a vendor's sales do; the platform's GMV counts them.
 */
export const TopVendors = z
  .object({
    ...base,
    days: z.array(z.object({ day: Day, gmvMinor: Minor, activeVendors: Count })),
    totals: z.object({ gmvMinor: Minor, activeVendors: Count }),
    items: z.array(TopVendor),
  })
  .openapi("AnalyticsTopVendors");
export type TopVendors = z.infer<typeof TopVendors>;

const vendorFigures = {
  /** Sub-order totals (goods and shipping) of paid orders, cancelled sub-orders left out; units likewise. */
  salesMinor: Minor,
  /** Refunds of the sub-orders counted in sales (returns'), so sales less refunded is what was kept; a cancel's refund is in neither. */
  refundedMinor: Minor,
  subOrders: Count,
  units: Count,
  returnedUnits: Count,
  cancelledSubOrders: Count,
  slaBreaches: Count,
  slaNudges: Count,
  dispatchedSubOrders: Count,
  deliveredSubOrders: Count,
};

export const VendorDay = z.object({ day: Day, ...vendorFigures }).openapi("VendorAnalyticsDay");
export type VendorDay = z.infer<typeof VendorDay>;

/**
 * What the payout runs transferred to the vendor, read from the payout tables (not the roll-ups).
 * A transfer counts on the day, in the marketplace's zone, on which the run made it (its
 * `created_at`: the run's time, when it was written and the provider asked); `paid` transfers only,
 * failed ones never. `reversedMinor` is what has since been taken back of that day's transfers
 * (refunds after payout): reversals are kept per transfer, so they count on the transfer's day.
 */
export const VendorPayoutDay = z
  .object({ day: Day, paidMinor: Minor, reversedMinor: Minor, transfers: Count })
  .openapi("VendorPayoutDay");
export type VendorPayoutDay = z.infer<typeof VendorPayoutDay>;

export const VendorPayouts = z
  .object({
    days: z.array(VendorPayoutDay),
    totals: z.object({
      paidMinor: Minor,
      reversedMinor: Minor,
      transfers: Count,
      /** Transfers made in the range that the provider has not confirmed yet (settled by the next run). */
      pendingMinor: Minor,
      pendingTransfers: Count,
      /** Held back by the latest completed run started before the range ends (account not ready, debt carried). */
      heldBackMinor: Minor,
      heldBackSubOrders: Count,
      /** The day of the latest paid transfer made before the range ends (it may precede the range); null if none. */
      lastPaidOn: Day.nullable(),
    }),
  })
  .openapi("VendorPayouts");
export type VendorPayouts = z.infer<typeof VendorPayouts>;

export const VendorAnalytics = z
  .object({
    ...base,
    vendorId: Id,
    days: z.array(VendorDay),
    totals: z.object({
      ...vendorFigures,
      /** Returned units / units sold. */
      returnRateBps: Bps,
      cancellationRateBps: Bps,
      slaBreachRateBps: Bps,
    }),
    timeToDispatch: Latency,
    timeToDelivery: Latency,
    payouts: VendorPayouts,
  })
  .openapi("VendorAnalytics");
export type VendorAnalytics = z.infer<typeof VendorAnalytics>;

export const ProductSales = z
  .object({
    productId: Id,
    title: z.string(),
    units: Count,
    salesMinor: Minor,
    returnedUnits: Count,
    returnRateBps: Bps,
  })
  .openapi("AnalyticsProductSales");
export type ProductSales = z.infer<typeof ProductSales>;

/** A vendor's sales by product over the range (by units sold, most first). */
export const VendorProductSales = z
  .object({
    ...base,
    vendorId: Id,
    days: z.array(z.object({ day: Day, units: Count, salesMinor: Minor, returnedUnits: Count })),
    totals: z.object({ units: Count, salesMinor: Minor, returnedUnits: Count, returnRateBps: Bps }),
    items: z.array(ProductSales),
  })
  .openapi("AnalyticsVendorProductSales");
export type VendorProductSales = z.infer<typeof VendorProductSales>;

export const SkuInventory = z
  .object({
    skuId: Id,
    code: z.string(),
    title: z.string(),
    /** Units sold in the range (returns not deducted). */
    unitsSold: Count,
    /** On hand and available across warehouses at the latest snapshot in the range. */
    onHand: Count,
    available: Count,
    /** Mean over the range's snapshots of on-hand units. */
    averageOnHand: Count,
    /** Units sold / average on hand, ×100; null with no stock recorded. */
    turnoverX100: z.number().int().nonnegative().nullable(),
    /** Available / units sold a day over the range's finished days (up to yesterday); null with none or no sale on them. */
    daysOfCover: z.number().int().nonnegative().nullable(),
  })
  .openapi("AnalyticsSkuInventory");
export type SkuInventory = z.infer<typeof SkuInventory>;

/** Inventory turnover and days of cover per SKU, from the daily stock snapshots and the sales roll-up. */
export const VendorInventory = z
  .object({
    ...base,
    vendorId: Id,
    days: z.array(z.object({ day: Day, onHand: Count, available: Count, unitsSold: Count })),
    totals: z.object({
      unitsSold: Count,
      onHand: Count,
      available: Count,
      turnoverX100: z.number().int().nonnegative().nullable(),
      daysOfCover: z.number().int().nonnegative().nullable(),
    }),
    items: z.array(SkuInventory),
  })
  .openapi("AnalyticsVendorInventory");
export type VendorInventory = z.infer<typeof VendorInventory>;

/** What a rebuild or refresh did (admin API). */
export const RollupRun = z
  .object({
    watermark: z.number().int().nonnegative(),
    asOf: IsoTime.nullable(),
    eventsRead: Count,
    daysRecomputed: Count,
    daysPending: Count,
    /** True when another refresh moved the watermark first: this one wrote nothing. */
    conflicted: z.boolean(),
    continued: z.boolean(),
  })
  .openapi("AnalyticsRollupRun");
export type RollupRun = z.infer<typeof RollupRun>;
