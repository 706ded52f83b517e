import {
  type AnalyticsRangeQuery,
  DEFAULT_RANGE_DAYS,
  type Latency,
  MAX_RANGE_DAYS,
  type PlatformAnalytics,
  type TopVendors,
  type VendorAnalytics,
  type VendorInventory,
  type VendorPayouts,
  type VendorProductSales,
} from "../contracts/analytics";
import {
  inventoryReport,
  type LatencyRows,
  platformReport,
  productSalesReport,
  type Range,
  type Span,
  topVendorsReport,
  vendorReport,
} from "../db/analytics";
import type { Db } from "../db/client";
import { bucketUpperBound, LATENCY_BUCKET_BOUNDS_MINUTES, percentile } from "../domain/latency-histogram";
import { addDays, dayStart, daysBetween, localDay } from "../domain/local-day";
import { daysOfCover } from "../domain/reorder";
import { isoSeconds } from "../domain/time";

/** Reports built from the roll-ups (db/analytics.ts): sums over the range, rates and percentiles. */

export type Marketplace = { currency: string; timeZone: string };

/**
 * The asked range, or the DEFAULT_RANGE_DAYS ending today (or ending `to`) in the marketplace's zone.
 * `from` alone runs to today, but never past MAX_RANGE_DAYS: the query checks only ranges with both ends.
 */
export function rangeOf(q: AnalyticsRangeQuery, timeZone: string, now: Date): Range {
  const today = localDay(now, timeZone);
  const to = q.to ?? (q.from ? maxDay(q.from, minDay(today, addDays(q.from, MAX_RANGE_DAYS - 1))) : today);
  const from = q.from ?? addDays(to, 1 - DEFAULT_RANGE_DAYS);
  return { from, to: maxDay(to, from) };
}

const maxDay = (a: string, b: string) => (a > b ? a : b);
const minDay = (a: string, b: string) => (a < b ? a : b);

/** A ratio in basis points, 0 over nothing. */
const bps = (part: number, whole: number) => (whole > 0 ? Math.round((part * 10_000) / whole) : 0);

function latency(rows: LatencyRows): Latency {
  const counts = Array.from({ length: LATENCY_BUCKET_BOUNDS_MINUTES.length + 1 }, () => 0);
  for (const r of rows) counts[r.bucket] = (counts[r.bucket] ?? 0) + Number(r.count);
  return {
    count: counts.reduce((a, b) => a + b, 0),
    p50Minutes: percentile(counts, 0.5),
    p90Minutes: percentile(counts, 0.9),
    buckets: counts.map((count, bucket) => ({ upToMinutes: bucketUpperBound(bucket), count })),
  };
}

/** Sums each numeric field of `rows` into `zero`'s shape. */
function sumRows<T extends Record<string, number>>(rows: readonly Partial<T>[], zero: T): T {
  const out = { ...zero };
  for (const row of rows)
    for (const k of Object.keys(zero) as (keyof T)[]) out[k] = (Number(out[k]) + Number(row[k] ?? 0)) as T[keyof T];
  return out;
}

/** One entry per day of the range, missing days as zeros, so a chart's x axis is continuous. */
function everyDay<T extends { day: string }>(r: Range, rows: readonly T[], zero: Omit<T, "day">): T[] {
  const byDay = new Map(rows.map((row) => [row.day, row]));
  return daysBetween(r.from, r.to).map((day) => byDay.get(day) ?? ({ day, ...zero } as T));
}

const platformZero = {
  gmvMinor: 0,
  refundedMinor: 0,
  ordersPlaced: 0,
  ordersPaid: 0,
  subOrders: 0,
  cancelledSubOrders: 0,
  slaBreaches: 0,
  slaNudges: 0,
  returnedSubOrders: 0,
  dispatchedSubOrders: 0,
  deliveredSubOrders: 0,
};

export async function platformAnalytics(db: Db, m: Marketplace, r: Range): Promise<PlatformAnalytics> {
  const report = await platformReport(db, r);
  const days = everyDay(r, report.days, platformZero);
  const t = sumRows(days, platformZero);
  return {
    asOf: report.asOf,
    ...m,
    ...r,
    days,
    totals: {
      ...t,
      avgSellersPerCartX100: t.ordersPaid > 0 ? Math.round((t.subOrders * 100) / t.ordersPaid) : 0,
      fulfilmentErrorRateBps: bps(t.cancelledSubOrders + t.returnedSubOrders, t.subOrders),
      cancellationRateBps: bps(t.cancelledSubOrders, t.subOrders),
      slaBreachRateBps: bps(t.slaBreaches, t.subOrders),
      returnRateBps: bps(t.returnedSubOrders, t.subOrders),
    },
    timeToDispatch: latency(report.dispatch),
    timeToDelivery: latency(report.delivery),
  };
}

export async function topVendors(db: Db, m: Marketplace, r: Range, limit: number): Promise<TopVendors> {
  const report = await topVendorsReport(db, r, limit);
  return {
    asOf: report.asOf,
    ...m,
    ...r,
    days: everyDay(
      r,
      report.days.map((d) => ({ day: d.day, gmvMinor: Number(d.gmvMinor), activeVendors: Number(d.activeVendors) })),
      { gmvMinor: 0, activeVendors: 0 },
    ),
    totals: { gmvMinor: Number(report.totals.gmvMinor ?? 0), activeVendors: Number(report.totals.activeVendors) },
    items: report.top.map((v) => ({
      vendorId: v.vendorId,
      vendorName: v.vendorName,
      gmvMinor: Number(v.gmvMinor),
      subOrders: Number(v.subOrders),
      units: Number(v.units),
      cancelledSubOrders: Number(v.cancelledSubOrders),
      returnedUnits: Number(v.returnedUnits),
    })),
  };
}

const vendorZero = {
  salesMinor: 0,
  refundedMinor: 0,
  subOrders: 0,
  units: 0,
  returnedUnits: 0,
  cancelledSubOrders: 0,
  slaBreaches: 0,
  slaNudges: 0,
  dispatchedSubOrders: 0,
  deliveredSubOrders: 0,
};

/** The range's days as stored instants: from the start of `from` to the start of the day after `to`. */
const spanOf = (r: Range, timeZone: string): Span => ({
  start: isoSeconds(dayStart(r.from, timeZone)),
  before: isoSeconds(dayStart(addDays(r.to, 1), timeZone)),
});

type PayoutRead = Awaited<ReturnType<typeof vendorReport>>["payouts"];

/** Transfers placed on their day in the zone by when the run made them; held back and the last payout as of the range's end. */
function vendorPayouts(r: Range, timeZone: string, p: PayoutRead): VendorPayouts {
  const zero = { paidMinor: 0, reversedMinor: 0, transfers: 0 };
  const byDay = new Map<string, typeof zero>();
  let pendingMinor = 0;
  let pendingTransfers = 0;
  for (const moment of p.moments) {
    const day = localDay(moment.at, timeZone);
    const d = byDay.get(day) ?? { ...zero };
    byDay.set(day, sumRows([d, moment], zero));
    pendingMinor += Number(moment.pendingMinor);
    pendingTransfers += Number(moment.pendingTransfers);
  }
  const days = daysBetween(r.from, r.to).map((day) => ({ day, ...(byDay.get(day) ?? zero) }));
  return {
    days,
    totals: {
      ...sumRows(days, zero),
      pendingMinor,
      pendingTransfers,
      heldBackMinor: p.heldBack.payableMinor,
      heldBackSubOrders: p.heldBack.subOrders,
      lastPaidOn: p.lastPaidAt === null ? null : localDay(p.lastPaidAt, timeZone),
    },
  };
}

export async function vendorAnalytics(db: Db, m: Marketplace, vendorId: string, r: Range): Promise<VendorAnalytics> {
  const report = await vendorReport(db, vendorId, r, spanOf(r, m.timeZone));
  const days = everyDay(
    r,
    report.days.map(({ vendorId: _v, ...d }) => d),
    vendorZero,
  );
  const t = sumRows(days, vendorZero);
  return {
    asOf: report.asOf,
    ...m,
    ...r,
    vendorId,
    days,
    totals: {
      ...t,
      returnRateBps: bps(t.returnedUnits, t.units),
      cancellationRateBps: bps(t.cancelledSubOrders, t.subOrders),
      slaBreachRateBps: bps(t.slaBreaches, t.subOrders),
    },
    timeToDispatch: latency(report.dispatch),
    timeToDelivery: latency(report.delivery),
    payouts: vendorPayouts(r, m.timeZone, report.payouts),
  };
}

export async function vendorProductSales(
  db: Db,
  m: Marketplace,
  vendorId: string,
  r: Range,
): Promise<VendorProductSales> {
  const report = await productSalesReport(db, vendorId, r);
  const zero = { units: 0, salesMinor: 0, returnedUnits: 0 };
  const days = everyDay(
    r,
    report.days.map((d) => ({ day: d.day, ...sumRows([d], zero) })),
    zero,
  );
  const t = sumRows(days, zero);
  return {
    asOf: report.asOf,
    ...m,
    ...r,
    vendorId,
    days,
    totals: { ...t, returnRateBps: bps(t.returnedUnits, t.units) },
    items: report.byProduct.map((p) => {
      const s = sumRows([p], zero);
      return { productId: p.productId, title: p.title, ...s, returnRateBps: bps(s.returnedUnits, s.units) };
    }),
  };
}

/**
 * Turnover: units sold over the range / mean on-hand units over the range's snapshots. Days of
 * cover: available units at the latest snapshot / units sold a day over the range's finished days,
 * those up to yesterday in the zone, as the reorder suggestions read velocity: today is still
 * selling, and a day to come has sold nothing (dividing by it would stretch the cover: "this month"
 * asked on its 10th spread 10 days of sales over 30). Null with no finished day or no sale on them.
 */
export async function vendorInventory(
  db: Db,
  m: Marketplace,
  vendorId: string,
  r: Range,
  now: Date,
): Promise<VendorInventory> {
  const today = localDay(now, m.timeZone);
  const finishedTo = minDay(r.to, addDays(today, -1));
  const span = finishedTo >= r.from ? daysBetween(r.from, finishedTo).length : 0;
  const report = await inventoryReport(db, vendorId, r, { from: maxDay(r.from, addDays(finishedTo, 1)), to: r.to });
  const perSku = new Map<
    string,
    { unitsSold: number; finishedSold: number; onHand: number; available: number; sumOnHand: number; days: number }
  >();
  const entry = (skuId: string) => {
    const e = perSku.get(skuId);
    if (e) return e;
    const fresh = { unitsSold: 0, finishedSold: 0, onHand: 0, available: 0, sumOnHand: 0, days: 0 };
    perSku.set(skuId, fresh);
    return fresh;
  };
  for (const s of report.sold) entry(s.skuId).unitsSold = Number(s.units);
  const unfinished = new Map(report.soldUnfinished.map((s) => [s.skuId, Number(s.units)]));
  for (const [skuId, e] of perSku) e.finishedSold = e.unitsSold - (unfinished.get(skuId) ?? 0);
  for (const s of report.snapshotSkus) {
    const e = entry(s.skuId);
    e.onHand = Number(s.onHand);
    e.available = Number(s.available);
    e.sumOnHand = Number(s.sumOnHand);
    e.days = Number(s.days);
  }
  const byDay = new Map(
    report.snapshotDays.map((d) => [d.day, { onHand: Number(d.onHand), available: Number(d.available) }]),
  );
  const figures = (unitsSold: number, finishedSold: number, available: number, averageOnHand: number) => ({
    turnoverX100: averageOnHand > 0 ? Math.round((unitsSold * 100) / averageOnHand) : null,
    daysOfCover: span > 0 ? daysOfCover(available, finishedSold, span) : null,
  });
  const items = [...perSku.entries()].map(([skuId, e]) => {
    const averageOnHand = e.days > 0 ? Math.round(e.sumOnHand / e.days) : 0;
    const name = report.names.get(skuId) ?? { code: skuId, title: skuId };
    return {
      skuId,
      ...name,
      unitsSold: e.unitsSold,
      onHand: e.onHand,
      available: e.available,
      averageOnHand,
      ...figures(e.unitsSold, e.finishedSold, e.available, averageOnHand),
    };
  });
  items.sort((a, b) => b.unitsSold - a.unitsSold || a.skuId.localeCompare(b.skuId));
  const sold = new Map(report.soldByDay.map((d) => [d.day, Number(d.units)]));
  const days = daysBetween(r.from, r.to).map((day) => ({
    day,
    onHand: byDay.get(day)?.onHand ?? 0,
    available: byDay.get(day)?.available ?? 0,
    unitsSold: sold.get(day) ?? 0,
  }));
  const unitsSold = items.reduce((a, i) => a + i.unitsSold, 0);
  const onHand = items.reduce((a, i) => a + i.onHand, 0);
  const available = items.reduce((a, i) => a + i.available, 0);
  const averageOnHand = items.reduce((a, i) => a + i.averageOnHand, 0);
  const finishedSold = [...perSku.values()].reduce((a, e) => a + e.finishedSold, 0);
  return {
    asOf: report.asOf,
    ...m,
    ...r,
    vendorId,
    days,
    totals: { unitsSold, onHand, available, ...figures(unitsSold, finishedSold, available, averageOnHand) },
    items,
  };
}
