import { and, eq, gt, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { decodeCursor, encodeCursor } from "../domain/cursor";

/** Where a keyset page starts: after the (label, id) pair of the previous page's last row. */
export type After = { label: string; id: string };

/** null for a cursor this API did not issue; undefined when there is none. */
export function readCursor(cursor: string | undefined): After | undefined | null {
  if (cursor === undefined) return undefined;
  const key = decodeCursor(cursor);
  if (key?.length !== 2 || typeof key[0] !== "string" || typeof key[1] !== "string") return null;
  return { label: key[0], id: key[1] };
}

/** Rows ordered by (label, id): ids break ties, so the order is total and pages never overlap. */
export function afterKey(label: SQLiteColumn, id: SQLiteColumn, after: After | undefined): SQL | undefined {
  if (!after) return undefined;
  return or(gt(label, after.label), and(eq(label, after.label), gt(id, after.id)));
}

/** Callers fetch limit + 1 rows: the extra one only says whether another page exists. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  key: (row: R) => After,
  map: (row: R) => T,
): { items: T[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  const nextCursor = more && last ? encodeCursor([key(last).label, key(last).id]) : null;
  return { items: kept.map(map), nextCursor };
}

/** `column` contains `text`, case-insensitively for ASCII (SQLite LIKE), with % and _ taken literally. */
export function contains(column: SQLiteColumn, text: string): SQL {
  const pattern = `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
  return sql`${column} like ${pattern} escape '\\'`;
}
