import { and, eq, sql } from "drizzle-orm";
import type { PostalCodeEntry } from "../contracts/catalog";
import { type Point, type PostalCodeLookup, postalCodeKey } from "../domain/geo";
import type { PostalCodeRecord } from "../domain/postal-codes";
import { chunks, rowsPerInsert } from "./chunks";
import type { Db } from "./client";
import { postalCodes } from "./schema";

// A batch is kept to about 50 statements so one import request stays well inside a Worker's limits.
const STATEMENTS_PER_BATCH = 50;

/** The table holds each code by its postalCodeKey; `code` may be spelled any way a shopper types it. */
export async function findPostalCode(db: Db, country: string, code: string): Promise<PostalCodeEntry | null> {
  const row = await db
    .select()
    .from(postalCodes)
    .where(and(eq(postalCodes.country, country), eq(postalCodes.code, postalCodeKey(code))))
    .get();
  return row ? { country: row.country, code: row.code, lat: row.lat, lng: row.lng, place: row.place } : null;
}

/** The lookup the domain's resolveShippingPoint takes. */
export function postalCodeLookup(db: Db): PostalCodeLookup {
  return async (country, code): Promise<Point | null> => {
    const entry = await findPostalCode(db, country, code);
    return entry ? { lat: entry.lat, lng: entry.lng } : null;
  };
}

/**
 * Inserts or replaces entries, each under its code's key. Each batch is one D1 transaction; a
 * failure in a later batch leaves earlier ones in place, which is harmless because the import is
 * an idempotent upsert.
 */
export async function upsertPostalCodes(db: Db, rows: readonly PostalCodeRecord[]): Promise<number> {
  const keyed = rows.map((row) => ({ ...row, code: postalCodeKey(row.code) }));
  const statements = chunks(keyed, rowsPerInsert(postalCodes)).map((values) =>
    db
      .insert(postalCodes)
      .values(values)
      .onConflictDoUpdate({
        target: [postalCodes.country, postalCodes.code],
        set: { lat: sql`excluded.lat`, lng: sql`excluded.lng`, place: sql`excluded.place` },
      }),
  );
  for (const [first, ...rest] of chunks(statements, STATEMENTS_PER_BATCH)) {
    if (first) await db.batch([first, ...rest]);
  }
  return rows.length;
}
