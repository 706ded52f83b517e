import { lt } from "drizzle-orm";
import { isoSeconds } from "../domain/time";
import type { Db } from "./client";
import { vendorHourlyLoads } from "./schema";

// A vendor's load this clock hour, read from the count the triggers of migration 0020 keep on
// `vendor_hourly_loads`: one row per vendor, however many orders the hour has had. Counting the
// sub-orders themselves read every one of them on every checkout, so a busy vendor made each of
// its next checkouts slower. Exported for its query-plan test.

/**
 * For each ask of the JSON list ?1 (`vendorLoadsAsked`), by its index `i`: per vendor in its
 * `vendorIds` that has a row, its sub-orders created in the ask's `hour` that are not cancelled,
 * less those of its `orderId` (the order being written or moved itself; null leaves none out).
 * Checkouts reading at the same moment ask in one statement (db/checkout-reads.ts).
 */
export const VENDOR_LOADS = `select r.key as i, l.vendor_id as vendorId, l.sub_orders - (
    select count(*) from sub_orders s where s.order_id = r.value ->> 'orderId' and s.vendor_id = l.vendor_id
      and s.status <> 'cancelled' and substr(s.created_at, 1, 13) = l.hour
  ) as n
  from json_each(?1) r
  join json_each(r.value -> 'vendorIds') v
  join vendor_hourly_loads l on l.vendor_id = v.value and l.hour = r.value ->> 'hour'`;

/** The UTC clock hour `at` falls in, as `vendor_hourly_loads` keys it: `2026-11-27T10`. */
export function hourOf(at: Date | number): string {
  return isoSeconds(at).slice(0, 13);
}

/** One ask of VENDOR_LOADS: these vendors' loads in the clock hour of `at`, less `excludeOrderId`'s. */
export function vendorLoadsAsked(vendorIds: readonly string[], at: Date, excludeOrderId?: string) {
  return { vendorIds, hour: hourOf(at), orderId: excludeOrderId ?? null };
}

/** Rows of VENDOR_LOADS as a map with every vendor asked for (0 when it has none this hour). */
export function loadsFrom(vendorIds: readonly string[], rows: { vendorId: string; n: number }[]) {
  const loads = new Map<string, number>(vendorIds.map((v) => [v, 0]));
  for (const r of rows) loads.set(r.vendorId, r.n);
  return loads;
}

/** Each vendor's load in the clock hour of `at`, leaving out `excludeOrderId`'s own sub-orders. */
export async function vendorLoads(
  db: Db,
  vendorIds: readonly string[],
  at: Date,
  excludeOrderId?: string,
): Promise<Map<string, number>> {
  if (vendorIds.length === 0) return new Map();
  const { results } = await db.$client
    .prepare(VENDOR_LOADS)
    .bind(JSON.stringify([vendorLoadsAsked(vendorIds, at, excludeOrderId)]))
    .all<{ vendorId: string; n: number }>();
  return loadsFrom(vendorIds, results);
}

/**
 * Forgets the counts of hours before `hour` (no checkout reads a past hour); returns the statement
 * so it joins a batch. A sub-order of a forgotten hour cancelled later updates no row.
 */
export function deleteLoadsBefore(db: Db, hour: string) {
  return db
    .delete(vendorHourlyLoads)
    .where(lt(vendorHourlyLoads.hour, hour))
    .returning({ vendorId: vendorHourlyLoads.vendorId });
}
