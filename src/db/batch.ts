import type { Db, Statement } from "./client";

export type NamedResults<T extends Record<string, Statement>> = { [K in keyof T]: T[K]["_"]["result"] };

/**
 * One `db.batch()` (one transaction, one round trip) whose results are read by name instead of by
 * position. Statements run in the order their names are written; names must not be integer-like,
 * since JavaScript lists those keys first.
 */
export async function batchNamed<T extends Record<string, Statement>>(db: Db, statements: T): Promise<NamedResults<T>> {
  const names = Object.keys(statements);
  const [first, ...rest] = names.map((name) => statements[name]!);
  if (!first) return {} as NamedResults<T>;
  const results = await db.batch([first, ...rest]);
  return Object.fromEntries(names.map((name, i) => [name, results[i]])) as NamedResults<T>;
}
