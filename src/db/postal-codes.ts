import { and, eq, sql } from "drizzle-orm";
import type { PostalCodeEntry } from "../contracts/catalog";
import type { Point, PostalCodeLookup } from "../domain/geo";
import type { PostalCodeRecord } from "../domain/postal-codes";
import type { Db } from "./client";
import { postalCodes } from "./schema";

// D1 binds at most 100 parameters per statement (5 per row here), and a batch is kept to
// about 50 statements so one import request stays well inside a Worker's limits.
const ROWS_PER_STATEMENT = 16;
const STATEMENTS_PER_BATCH = 50;

/** Codes are expected normalized (see normalizePostalCode). */
export async function findPostalCode(db: Db, country: string, code: string): Promise<PostalCodeEntry | null> {
  const row = await db
    .select()
    .from(postalCodes)
    .where(and(eq(postalCodes.country, country), eq(postalCodes.code, code)))
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
 * Inserts or replaces entries. Each batch is one D1 transaction; a failure in a later batch
 * leaves earlier ones in place, which is harmless because the import is an idempotent upsert.
 */
export async function upsertPostalCodes(db: Db, rows: readonly PostalCodeRecord[]): Promise<number> {
  const statements = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    statements.push(
      db
        .insert(postalCodes)
        .values(rows.slice(i, i + ROWS_PER_STATEMENT))
        .onConflictDoUpdate({
          target: [postalCodes.country, postalCodes.code],
          set: { lat: sql`excluded.lat`, lng: sql`excluded.lng`, place: sql`excluded.place` },
        }),
    );
  }
  for (let i = 0; i < statements.length; i += STATEMENTS_PER_BATCH) {
    const [first, ...rest] = statements.slice(i, i + STATEMENTS_PER_BATCH);
    if (first) await db.batch([first, ...rest]);
  }
  return rows.length;
}
