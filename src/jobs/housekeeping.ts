import { deleteBridgeRunsBefore } from "../db/bridge";
import { database } from "../db/client";
import { deleteExpiredKeys } from "../db/idempotency";
import { deleteLoadsBefore, hourOf } from "../db/vendor-loads";
import { isoSeconds } from "../domain/time";

/** The inventory bridge's page records are read by its benchmark and ops looking at a recent run. */
const BRIDGE_RUNS_RETENTION_DAYS = 7;
/** Vendors' hourly loads are read for the current hour only; two days are kept to look at. */
const LOADS_RETENTION_HOURS = 48;
// Idempotency keys one delete removes: each statement holds D1's single writer only briefly beside
// checkouts, where one delete of everything expired would hold it for as long as a flash sale's
// hour of keys (200,000 rows) takes, 48 hours later.
export const KEY_PURGE_CHUNK = 1000;
// Deletes a run: 20,000 keys an hour, 480,000 a day, far above what a day's checkouts make; a
// deeper backlog (a flash sale's hour) goes over the following hours, its keys answering a replay
// a little longer meanwhile.
export const KEY_PURGE_CHUNKS_PER_RUN = 20;

/**
 * Forgets idempotency keys past their retention (at least 24 h), a bounded chunk at a time, the
 * vendors' hourly loads of past days and old inventory-bridge page records.
 */
export async function purgeExpiredKeys(env: Env, now: Date) {
  const db = database(env);
  const at = isoSeconds(now);
  let idempotencyKeys = 0;
  let idempotencyKeysDone = false;
  for (let chunk = 0; chunk < KEY_PURGE_CHUNKS_PER_RUN && !idempotencyKeysDone; chunk++) {
    const deleted = await deleteExpiredKeys(db, at, KEY_PURGE_CHUNK);
    idempotencyKeys += deleted;
    idempotencyKeysDone = deleted < KEY_PURGE_CHUNK;
  }
  const [loads, bridgeRuns] = await db.batch([
    deleteLoadsBefore(db, hourOf(now.getTime() - LOADS_RETENTION_HOURS * 3_600_000)),
    deleteBridgeRunsBefore(db, now.getTime() - BRIDGE_RUNS_RETENTION_DAYS * 86_400_000),
  ]);
  return {
    idempotencyKeys,
    idempotencyKeysDone,
    vendorHourlyLoads: loads.length,
    bridgeRuns: bridgeRuns.length,
  };
}
