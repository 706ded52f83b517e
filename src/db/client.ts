import type { BatchItem } from "drizzle-orm/batch";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Db = ReturnType<typeof database>;

export function database(env: { DB: D1Database }) {
  return drizzle(env.DB, { schema });
}

export type Statement = BatchItem<"sqlite">;

/** D1 has no interactive transactions: statements that belong together go in one batch. */
export async function runBatch(db: Db, statements: Statement[]): Promise<void> {
  const [first, ...rest] = statements;
  if (!first) return;
  await db.batch([first, ...rest]);
}
