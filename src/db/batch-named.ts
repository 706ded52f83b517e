import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "./client";

type Named = Record<string, BatchItem<"sqlite">>;

/**
 * One `db.batch()` (one transaction on D1) whose results come back under the names the statements
 * were given, so a caller reads `results.claim` rather than counting positions in a tuple. The
 * statements run in the object's key order: keep names non-numeric, which JavaScript would sort first.
 */
export async function batchNamed<T extends Named>(
  db: Db,
  statements: T,
): Promise<{ [K in keyof T]: T[K]["_"]["result"] }> {
  const names = Object.keys(statements) as (keyof T & string)[];
  const [first, ...rest] = names.map((n) => statements[n]!);
  if (!first) return {} as { [K in keyof T]: T[K]["_"]["result"] };
  const results: unknown[] = await db.batch([first, ...rest]);
  return Object.fromEntries(names.map((n, i) => [n, results[i]])) as { [K in keyof T]: T[K]["_"]["result"] };
}
