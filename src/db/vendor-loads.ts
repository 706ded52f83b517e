import { lt } from "drizzle-orm";
import { isoSeconds } from "../domain/time";
import type { Db } from "./client";
import { vendorHourlyLoads } from "./schema";

// A vendor's load this clock hour, read from the count the triggers of migration 0020 keep on
// `vendor_hourly_loads`: one row per vendor, however many orders the hour has had. Counting the
// sub-orders themselves read every one of them on every checkout, so a busy vendor made each of
// its next checkouts slower. Exported for its query-plan test.

/**
 * Per vendor in the JSON list ?1, its sub-orders created in hour ?2 that are not cancelled, less
 * those of order ?3 (the order being written or moved itself; NULL leaves none out).
 */
export const VENDOR_LOADS = `select l.vendor_id as vendorId, l.sub_orders - (
    select count(*) from sub_orders s where s.order_id = ?3 and s.vendor_id = l.vendor_id
      and s.status <> 'cancelled' and substr(s.created_at, 1, 13) = l.hour
  ) as n
  from vendor_hourly_loads l
  where l.vendor_id in (select value from json_each(?1)) and l.hour = ?2`;

/** The UTC clock hour `at` falls in, as `vendor_hourly_loads` keys it: `2026-11-27T10`. */
export function hourOf(at: Date | number): string {
  return isoSeconds(at).slice(0, 13);
}

/** The bindings of VENDOR_LOADS. */
export function vendorLoadParams(vendorIds: readonly string[], at: Date, excludeOrderId?: string) {
  return [JSON.stringify(vendorIds), hourOf(at), excludeOrderId ?? null] as const;
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
    .bind(...vendorLoadParams(vendorIds, at, excludeOrderId))
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
