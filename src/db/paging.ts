import { asc, desc, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/**
 * Keyset paging, the one style every list uses: rows ordered by (key, id), where ids break ties so
 * the order is total and pages never overlap or skip; the cursor is the last row's pair, opaque
 * (base64url JSON) to clients.
 */
export type After = { key: string; id: string };
export type Direction = "asc" | "desc";
export type Page<T> = { items: T[]; nextCursor: string | null };

function encodeCursor(after: After): string {
  // Keys are free text (titles, names: कुर्ता, Men’s): base64 of their UTF-8, as btoa takes Latin-1 only.
  const bytes = new TextEncoder().encode(JSON.stringify([after.key, after.id]));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replaceAll("=", "");
}

/** null for a cursor this API did not issue; undefined when there is none. */
export function readCursor(cursor: string | undefined): After | undefined | null {
  if (cursor === undefined) return undefined;
  try {
    const binary = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const key: unknown = JSON.parse(utf8OrLatin1(binary));
    if (!Array.isArray(key) || key.length !== 2 || typeof key[0] !== "string" || typeof key[1] !== "string") {
      return null;
    }
    return { key: key[0], id: key[1] };
  } catch {
    return null;
  }
}

/** A cursor's text: UTF-8, or Latin-1 as cursors were written before (one still in a client's hands). */
function utf8OrLatin1(binary: string): string {
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return binary;
  }
}

/** Rows past `after` in the list's direction (a row-value comparison, served by a (key, id) index). */
export function afterKey(key: SQLiteColumn, id: SQLiteColumn, after: After | undefined, direction: Direction = "asc") {
  if (!after) return undefined;
  return direction === "asc"
    ? sql`(${key}, ${id}) > (${after.key}, ${after.id})`
    : sql`(${key}, ${id}) < (${after.key}, ${after.id})`;
}

/** The list's order: by key, then id, both the same direction. */
export function keyOrder(key: SQLiteColumn, id: SQLiteColumn, direction: Direction = "asc"): SQL[] {
  const by = direction === "asc" ? asc : desc;
  return [by(key), by(id)];
}

/** Callers fetch limit + 1 rows: the extra one only says whether another page exists. */
export function toPage<R, T>(rows: R[], limit: number, key: (row: R) => After, map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  return { items: kept.map(map), nextCursor: more && last ? encodeCursor(key(last)) : null };
}

/** `column` contains `text`, case-insensitively for ASCII (SQLite LIKE), with % and _ taken literally. */
export function contains(column: SQLiteColumn, text: string): SQL {
  const pattern = `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
  return sql`${column} like ${pattern} escape '\\'`;
}
