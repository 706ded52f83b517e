import { and, between, desc, eq, inArray, notExists, sql } from "drizzle-orm";
import type { Db } from "./client";
import {
  ledgerJournals,
  payoutHolds,
  payoutRuns,
  payoutTransfers,
  products,
  rollupLatencyDays,
  rollupPlatformDays,
  rollupSkuDays,
  rollupState,
  rollupVendorDays,
  skus,
  stockSnapshots,
  vendors,
} from "./schema";

/**
 * The analytics read models: roll-up tables only (and the small catalog tables for names; the
 * vendor report's payouts from the payout tables, by the vendor's index), each report read in one
 * batch. Ranges are whole days, both ends included.
 */

export type Range = { from: string; to: string };
export type LatencyMetric = "dispatch" | "delivery";
/** The platform's histogram rows are kept under this vendor id. */
export const PLATFORM = "*";

const stateQuery = (db: Db) => db.select({ asOf: rollupState.asOf }).from(rollupState).where(eq(rollupState.id, 1));

const latencyQuery = (db: Db, vendorId: string, metric: LatencyMetric, r: Range) =>
  db
    .select({ bucket: rollupLatencyDays.bucket, count: sql<number>`sum(${rollupLatencyDays.count})` })
    .from(rollupLatencyDays)
    .where(
      and(
        eq(rollupLatencyDays.vendorId, vendorId),
        eq(rollupLatencyDays.metric, metric),
        between(rollupLatencyDays.day, r.from, r.to),
      ),
    )
    .groupBy(rollupLatencyDays.bucket);

export type LatencyRows = { bucket: number; count: number }[];

export async function platformReport(db: Db, r: Range) {
  const [state, days, dispatch, delivery] = await db.batch([
    stateQuery(db),
    db
      .select()
      .from(rollupPlatformDays)
      .where(between(rollupPlatformDays.day, r.from, r.to))
      .orderBy(rollupPlatformDays.day),
    latencyQuery(db, PLATFORM, "dispatch", r),
    latencyQuery(db, PLATFORM, "delivery", r),
  ]);
  return { asOf: state[0]?.asOf ?? null, days, dispatch, delivery };
}

export async function topVendorsReport(db: Db, r: Range, limit: number) {
  const inRange = between(rollupVendorDays.day, r.from, r.to);
  const gmv = sql<number>`sum(${rollupVendorDays.salesMinor})`;
  const [state, days, top] = await db.batch([
    stateQuery(db),
    db
      .select({ day: rollupVendorDays.day, gmvMinor: gmv, activeVendors: sql<number>`count(*)` })
      .from(rollupVendorDays)
      .where(inRange)
      .groupBy(rollupVendorDays.day)
      .orderBy(rollupVendorDays.day),
    db
      .select({
        vendorId: rollupVendorDays.vendorId,
        vendorName: sql<string>`coalesce((select ${vendors.name} from ${vendors} where ${vendors.id} = ${rollupVendorDays.vendorId}), ${rollupVendorDays.vendorId})`,
        gmvMinor: gmv,
        subOrders: sql<number>`sum(${rollupVendorDays.subOrders})`,
        units: sql<number>`sum(${rollupVendorDays.units})`,
        cancelledSubOrders: sql<number>`sum(${rollupVendorDays.cancelledSubOrders})`,
        returnedUnits: sql<number>`sum(${rollupVendorDays.returnedUnits})`,
      })
      .from(rollupVendorDays)
      .where(inRange)
      .groupBy(rollupVendorDays.vendorId)
      .orderBy(desc(gmv), rollupVendorDays.vendorId)
      .limit(limit),
  ]);
  const [totals] = await db
    .select({ gmvMinor: gmv, activeVendors: sql<number>`count(distinct ${rollupVendorDays.vendorId})` })
    .from(rollupVendorDays)
    .where(inRange);
  return { asOf: state[0]?.asOf ?? null, days, top, totals: totals ?? { gmvMinor: 0, activeVendors: 0 } };
}

/** A range's instants: [start of `from`, start of the day after `to`) in the zone, as stored times. */
export type Span = { start: string; before: string };

/**
 * The vendor's transfers in the span, summed per creation time (when the run made them): a run's
 * transfers share its time, so this is a row per run, not per sub-order, and the caller places
 * each on its day in the zone. Read through payout_transfers_vendor (vendor_id, created_at).
 */
const payoutMomentsQuery = (db: Db, vendorId: string, s: Span) =>
  db
    .select({
      at: payoutTransfers.createdAt,
      paidMinor: sql<number>`sum(case when ${payoutTransfers.status} = 'paid' then ${payoutTransfers.amountMinor} else 0 end)`,
      reversedMinor: sql<number>`sum(case when ${payoutTransfers.status} = 'paid' then ${payoutTransfers.reversedMinor} else 0 end)`,
      transfers: sql<number>`sum(${payoutTransfers.status} = 'paid')`,
      pendingMinor: sql<number>`sum(case when ${payoutTransfers.status} = 'pending' then ${payoutTransfers.amountMinor} else 0 end)`,
      pendingTransfers: sql<number>`sum(${payoutTransfers.status} = 'pending')`,
    })
    .from(payoutTransfers)
    .where(
      and(
        eq(payoutTransfers.vendorId, vendorId),
        sql`${payoutTransfers.createdAt} >= ${s.start}`,
        sql`${payoutTransfers.createdAt} < ${s.before}`,
      ),
    )
    .groupBy(payoutTransfers.createdAt)
    .orderBy(payoutTransfers.createdAt);

/** The vendor's latest paid transfer made before the span ends (the index read backwards, first paid row). */
const lastPayoutQuery = (db: Db, vendorId: string, s: Span) =>
  db
    .select({ at: payoutTransfers.createdAt })
    .from(payoutTransfers)
    .where(
      and(
        eq(payoutTransfers.vendorId, vendorId),
        sql`${payoutTransfers.createdAt} < ${s.before}`,
        eq(payoutTransfers.status, "paid"),
      ),
    )
    .orderBy(desc(payoutTransfers.createdAt), desc(payoutTransfers.id))
    .limit(1);

/**
 * What the latest completed payout run started before the span ends held back from the vendor.
 * Every run reconsiders every due unpaid sub-order, so its holds are the whole of what is held back
 * then (summing older runs' holds would count a sub-order once per run that held it). A sub-order
 * that run set off against the vendor's carried debt is listed with its holds but owed no more.
 */
const heldBackQuery = (db: Db, vendorId: string, s: Span) =>
  db
    .select({
      subOrders: sql<number>`count(*)`,
      payableMinor: sql<number>`coalesce(sum(${payoutHolds.payableMinor}), 0)`,
    })
    .from(payoutHolds)
    .where(
      and(
        eq(payoutHolds.vendorId, vendorId),
        eq(
          payoutHolds.runId,
          sql`(select ${payoutRuns.id} from ${payoutRuns} where ${payoutRuns.status} = 'paid' and ${payoutRuns.startedAt} < ${s.before} order by ${payoutRuns.startedAt} desc, ${payoutRuns.id} desc limit 1)`,
        ),
        notExists(
          db
            .select({ id: ledgerJournals.id })
            .from(ledgerJournals)
            .where(
              and(
                eq(ledgerJournals.kind, "carry_forward"),
                // setOffSourceId (domain/ledger-payouts.ts), in SQL
                eq(
                  ledgerJournals.sourceId,
                  sql`'set-off:' || ${payoutHolds.runId} || ':' || ${payoutHolds.subOrderId}`,
                ),
              ),
            ),
        ),
      ),
    );

export async function vendorReport(db: Db, vendorId: string, r: Range, s: Span) {
  const [state, days, dispatch, delivery, payoutMoments, lastPayout, heldBack] = await db.batch([
    stateQuery(db),
    db
      .select()
      .from(rollupVendorDays)
      .where(and(eq(rollupVendorDays.vendorId, vendorId), between(rollupVendorDays.day, r.from, r.to)))
      .orderBy(rollupVendorDays.day),
    latencyQuery(db, vendorId, "dispatch", r),
    latencyQuery(db, vendorId, "delivery", r),
    payoutMomentsQuery(db, vendorId, s),
    lastPayoutQuery(db, vendorId, s),
    heldBackQuery(db, vendorId, s),
  ]);
  return {
    asOf: state[0]?.asOf ?? null,
    days,
    dispatch,
    delivery,
    payouts: {
      moments: payoutMoments,
      lastPaidAt: lastPayout[0]?.at ?? null,
      heldBack: {
        subOrders: Number(heldBack[0]?.subOrders ?? 0),
        payableMinor: Number(heldBack[0]?.payableMinor ?? 0),
      },
    },
  };
}

export async function productSalesReport(db: Db, vendorId: string, r: Range) {
  const where = and(eq(rollupSkuDays.vendorId, vendorId), between(rollupSkuDays.day, r.from, r.to));
  const units = sql<number>`sum(${rollupSkuDays.units})`;
  const salesMinor = sql<number>`sum(${rollupSkuDays.salesMinor})`;
  const returnedUnits = sql<number>`sum(${rollupSkuDays.returnedUnits})`;
  const [state, days, byProduct] = await db.batch([
    stateQuery(db),
    db
      .select({ day: rollupSkuDays.day, units, salesMinor, returnedUnits })
      .from(rollupSkuDays)
      .where(where)
      .groupBy(rollupSkuDays.day)
      .orderBy(rollupSkuDays.day),
    db
      .select({
        productId: rollupSkuDays.productId,
        title: sql<string>`coalesce((select ${products.title} from ${products} where ${products.id} = ${rollupSkuDays.productId}), ${rollupSkuDays.productId})`,
        units,
        salesMinor,
        returnedUnits,
      })
      .from(rollupSkuDays)
      .where(where)
      .groupBy(rollupSkuDays.productId)
      .orderBy(desc(units), rollupSkuDays.productId),
  ]);
  return { asOf: state[0]?.asOf ?? null, days, byProduct };
}

const soldPerSku = (db: Db, vendorId: string, r: Range) =>
  db
    .select({ skuId: rollupSkuDays.skuId, units: sql<number>`sum(${rollupSkuDays.units})` })
    .from(rollupSkuDays)
    .where(and(eq(rollupSkuDays.vendorId, vendorId), between(rollupSkuDays.day, r.from, r.to)))
    .groupBy(rollupSkuDays.skuId);

/**
 * Sales per SKU, over the range and over its days in `unfinished` (a part of it: today and any later
 * day, none if it runs backwards), and the stock snapshots summed over warehouses twice: per day of
 * the range, and per SKU (the sum of its daily on-hand units, its days with a snapshot, and its
 * units on the latest of them). Summed in SQL, so the Worker reads a row per SKU and a row per day,
 * never one per SKU and day: 10,000 SKUs over 366 days would be 3.66 million rows.
 */
export async function inventoryReport(db: Db, vendorId: string, r: Range, unfinished: Range) {
  const inRange = and(eq(stockSnapshots.vendorId, vendorId), between(stockSnapshots.day, r.from, r.to));
  // A SKU's day: its warehouses' units summed, numbered from its latest day with a snapshot.
  const skuDays = db
    .select({
      skuId: stockSnapshots.skuId,
      onHand: sql<number>`sum(${stockSnapshots.onHand})`.as("on_hand"),
      available: sql<number>`sum(${stockSnapshots.available})`.as("available"),
      recency:
        sql<number>`row_number() over (partition by ${stockSnapshots.skuId} order by ${stockSnapshots.day} desc)`.as(
          "recency",
        ),
    })
    .from(stockSnapshots)
    .where(inRange)
    .groupBy(stockSnapshots.skuId, stockSnapshots.day)
    .as("sku_days");
  const [state, sold, soldUnfinished, soldByDay, snapshotDays, snapshotSkus] = await db.batch([
    stateQuery(db),
    soldPerSku(db, vendorId, r),
    soldPerSku(db, vendorId, unfinished),
    db
      .select({ day: rollupSkuDays.day, units: sql<number>`sum(${rollupSkuDays.units})` })
      .from(rollupSkuDays)
      .where(and(eq(rollupSkuDays.vendorId, vendorId), between(rollupSkuDays.day, r.from, r.to)))
      .groupBy(rollupSkuDays.day),
    db
      .select({
        day: stockSnapshots.day,
        onHand: sql<number>`sum(${stockSnapshots.onHand})`,
        available: sql<number>`sum(${stockSnapshots.available})`,
      })
      .from(stockSnapshots)
      .where(inRange)
      .groupBy(stockSnapshots.day),
    db
      .select({
        skuId: skuDays.skuId,
        sumOnHand: sql<number>`sum(${skuDays.onHand})`,
        days: sql<number>`count(*)`,
        onHand: sql<number>`sum(case when ${skuDays.recency} = 1 then ${skuDays.onHand} else 0 end)`,
        available: sql<number>`sum(case when ${skuDays.recency} = 1 then ${skuDays.available} else 0 end)`,
      })
      .from(skuDays)
      .groupBy(skuDays.skuId),
  ]);
  const ids = [...new Set([...sold.map((s) => s.skuId), ...snapshotSkus.map((s) => s.skuId)])];
  const names = await skuNames(db, vendorId, ids);
  return { asOf: state[0]?.asOf ?? null, sold, soldUnfinished, soldByDay, snapshotDays, snapshotSkus, names };
}

/** Code and title of a vendor's SKUs, read whole: a vendor's catalog is a small table slice. */
async function skuNames(db: Db, vendorId: string, ids: string[]) {
  if (ids.length === 0) return new Map<string, { code: string; title: string }>();
  const rows = await db
    .select({ id: skus.id, code: skus.code, title: skus.title })
    .from(skus)
    .where(ids.length <= 90 ? and(eq(skus.vendorId, vendorId), inArray(skus.id, ids)) : eq(skus.vendorId, vendorId));
  return new Map(rows.map((r) => [r.id, { code: r.code, title: r.title }]));
}
