import { and, eq, lt, sql } from "drizzle-orm";
import type { Db } from "./client";
import { idempotencyKeys } from "./schema";

/** How long a key and its answer are kept: a retry within it gets the first answer. */
export const IDEMPOTENCY_RETENTION_SECONDS = 48 * 3600;

/** Status of a key claimed by a request still running. */
export const IN_FLIGHT = 0;

/**
 * A claim older than this is a request that died on its way (its caller hung up, the isolate was
 * evicted) and never released its key: the next request with the same key and body takes it over
 * instead of being told it is still running for the key's 48 hours. Longer than any request runs
 * (a provider call with its retries takes at most about four minutes).
 */
export const IN_FLIGHT_LEASE_SECONDS = 300;

/**
 * Claims (scope, key) for one request, or takes over a lapsed claim of the same request; false
 * when another request holds or held it. The claim's `at` is its token for `completeKey` and
 * `releaseKey`, so a request that was taken over changes nothing of its successor's.
 */
export async function claimKey(
  db: Db,
  row: { scope: string; key: string; requestHash: string; at: string; expiresAt: string; lapsedBefore: string },
) {
  const inserted = await db
    .insert(idempotencyKeys)
    .values({
      scope: row.scope,
      key: row.key,
      requestHash: row.requestHash,
      responseStatus: IN_FLIGHT,
      responseBody: "",
      createdAt: row.at,
      expiresAt: row.expiresAt,
    })
    .onConflictDoUpdate({
      target: [idempotencyKeys.scope, idempotencyKeys.key],
      set: { createdAt: row.at, expiresAt: row.expiresAt },
      setWhere: and(
        eq(idempotencyKeys.responseStatus, IN_FLIGHT),
        eq(idempotencyKeys.requestHash, row.requestHash),
        lt(idempotencyKeys.createdAt, row.lapsedBefore),
      ),
    })
    .returning({ key: idempotencyKeys.key });
  return inserted.length === 1;
}

export function findKey(db: Db, scope: string, key: string) {
  return db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)))
    .get();
}

/** The claim made at `claimedAt`, if it is still that request's. */
const claimOf = (scope: string, key: string, claimedAt: string) =>
  and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key), eq(idempotencyKeys.createdAt, claimedAt));

export function completeKey(db: Db, scope: string, key: string, claimedAt: string, status: number, body: string) {
  return db
    .update(idempotencyKeys)
    .set({ responseStatus: status, responseBody: body })
    .where(claimOf(scope, key, claimedAt));
}

export function releaseKey(db: Db, scope: string, key: string, claimedAt: string) {
  return db.delete(idempotencyKeys).where(claimOf(scope, key, claimedAt));
}

/**
 * Forgets at most `limit` keys past their expiry, the earliest expired first (through the expiry
 * index); answers how many went. Counted from the statement's changes: the keys themselves are not
 * sent back.
 */
export async function deleteExpiredKeys(db: Db, at: string, limit: number): Promise<number> {
  const done = await db.run(sql`
    delete from ${idempotencyKeys} where rowid in (
      select rowid from ${idempotencyKeys} where ${idempotencyKeys.expiresAt} < ${at}
      order by ${idempotencyKeys.expiresAt} limit ${limit})`);
  return done.meta.changes;
}
