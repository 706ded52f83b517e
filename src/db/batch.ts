import type { Db, Statement } from "./client";

type Named = Record<string, Statement | readonly Statement[]>;
type ResultOf<S> = S extends readonly Statement[]
  ? S[number]["_"]["result"][]
  : S extends Statement
    ? S["_"]["result"]
    : never;
export type NamedResults<T extends Named> = { [K in keyof T]: ResultOf<T[K]> };

/**
 * One `db.batch()` (one transaction, one round trip) whose results are read by name instead of by
 * position. A name may stand for several statements (a multi-row insert cut to D1's parameter
 * limit); its result is then their results in order. Statements run in the order their names are
 * written; names must not be integer-like, since JavaScript lists those keys first.
 */
export async function batchNamed<T extends Named>(db: Db, statements: T): Promise<NamedResults<T>> {
  const names = Object.keys(statements);
  const groups = names.map((name) => {
    const s = statements[name]!;
    return Array.isArray(s) ? (s as readonly Statement[]) : [s as Statement];
  });
  const [first, ...rest] = groups.flat();
  if (!first) return {} as NamedResults<T>;
  const results: unknown[] = await db.batch([first, ...rest]);
  let at = 0;
  return Object.fromEntries(
    names.map((name, i) => {
      const mine = results.slice(at, at + groups[i]!.length);
      at += groups[i]!.length;
      return [name, Array.isArray(statements[name]) ? mine : mine[0]];
    }),
  ) as NamedResults<T>;
}
