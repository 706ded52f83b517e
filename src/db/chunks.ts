import { getTableColumns, type Table } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "./client";

/**
 * D1 binds at most 100 parameters per statement (the local runtime enforces it too), so any list of
 * values bound into one statement (`IN (...)`, multi-row inserts) is cut to fit.
 */
export const D1_MAX_BOUND_PARAMETERS = 100;

/** What an `IN (...)` list leaves to the rest of its statement unless the caller says otherwise. */
const OTHER_PARAMETERS = 10;

/** `xs` cut into lists of at most `size`. */
export function chunks<T>(xs: readonly T[], size = D1_MAX_BOUND_PARAMETERS - OTHER_PARAMETERS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Rows that fit one multi-row insert into `table`: at most one bound value per column and row. */
export function rowsPerInsert(table: Table): number {
  return Math.floor(D1_MAX_BOUND_PARAMETERS / Object.keys(getTableColumns(table)).length);
}

type Query<R> = BatchItem<"sqlite"> & PromiseLike<R[]>;

/**
 * Runs `query` over the distinct `values` cut to fit D1's limit beside `otherParameters` more (a
 * few, unless the caller says how many), every chunk in one batch (one round trip), and returns
 * the rows of all.
 */
export async function selectIn<T, R>(
  db: Db,
  values: readonly T[],
  query: (chunk: T[]) => Query<R>,
  otherParameters = OTHER_PARAMETERS,
): Promise<R[]> {
  const [first, ...rest] = chunks([...new Set(values)], D1_MAX_BOUND_PARAMETERS - otherParameters).map(query);
  if (!first) return [];
  const results = (await db.batch([first, ...rest])) as R[][];
  return results.flat();
}
