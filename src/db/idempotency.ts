import { and, eq, lt } from "drizzle-orm";
import type { Db } from "./client";
import { idempotencyKeys } from "./schema";

/** How long a key and its answer are kept: a retry within it gets the first answer. */
export const IDEMPOTENCY_RETENTION_SECONDS = 48 * 3600;

/** Status of a key claimed by a request still running. */
export const IN_FLIGHT = 0;

/** Claims (scope, key) for one request; false when another request holds or held it. */
export async function claimKey(
  db: Db,
  row: { scope: string; key: string; requestHash: string; at: string; expiresAt: string },
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
    .onConflictDoNothing()
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

export function completeKey(db: Db, scope: string, key: string, status: number, body: string) {
  return db
    .update(idempotencyKeys)
    .set({ responseStatus: status, responseBody: body })
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
}

export function releaseKey(db: Db, scope: string, key: string) {
  return db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
}

/** Forgets keys past their expiry; returns the statement so it joins a batch. */
export function deleteExpiredKeys(db: Db, at: string) {
  return db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, at)).returning({ key: idempotencyKeys.key });
}
