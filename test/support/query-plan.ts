import { env } from "cloudflare:test";

/** SQLite's plan for a statement, one line per step. */
export async function queryPlan(sql: string, params: unknown[]): Promise<string> {
  const { results } = await env.DB.prepare(`explain query plan ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail).join("\n");
}
