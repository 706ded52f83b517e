import type { BatchItem } from "drizzle-orm/batch";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Db = ReturnType<typeof database>;

// Building the client walks every table and relation of the schema; it keeps no per-request state,
// so each isolate builds one per D1 binding instead of one per request.
const clients = new WeakMap<D1Database, ReturnType<typeof build>>();
const build = (binding: D1Database) => drizzle(binding, { schema });

export function database(env: { DB: D1Database }) {
  let db = clients.get(env.DB);
  if (!db) {
    db = build(env.DB);
    clients.set(env.DB, db);
  }
  return db;
}

export type Statement = BatchItem<"sqlite">;

/** D1 has no interactive transactions: statements that belong together go in one batch. */
export async function runBatch(db: Db, statements: Statement[]): Promise<void> {
  const [first, ...rest] = statements;
  if (!first) return;
  await db.batch([first, ...rest]);
}
