import { deleteBridgeRunsBefore } from "../db/bridge";
import { database } from "../db/client";
import { deleteExpiredKeys } from "../db/idempotency";
import { deleteLoadsBefore, hourOf } from "../db/vendor-loads";
import { isoSeconds } from "../domain/time";

/** The inventory bridge's page records are read by its benchmark and ops looking at a recent run. */
const BRIDGE_RUNS_RETENTION_DAYS = 7;
/** Vendors' hourly loads are read for the current hour only; two days are kept to look at. */
const LOADS_RETENTION_HOURS = 48;

/**
 * Forgets idempotency keys past their retention (at least 24 h), the vendors' hourly loads of past
 * days and old inventory-bridge page records.
 */
export async function purgeExpiredKeys(env: Env, now: Date) {
  const db = database(env);
  const [keys, loads, bridgeRuns] = await db.batch([
    deleteExpiredKeys(db, isoSeconds(now)),
    deleteLoadsBefore(db, hourOf(now.getTime() - LOADS_RETENTION_HOURS * 3_600_000)),
    deleteBridgeRunsBefore(db, now.getTime() - BRIDGE_RUNS_RETENTION_DAYS * 86_400_000),
  ]);
  return {
    idempotencyKeys: keys.length,
    vendorHourlyLoads: loads.length,
    bridgeRuns: bridgeRuns.length,
  };
}
