// Applies D1 migration files in name order, each in one batch (D1 runs a batch as a transaction)
// together with its row in `d1_migrations`, the table `wrangler d1 migrations apply` keeps, so a
// migration is applied completely or not at all, and exactly once.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

type D1Like = {
  prepare(sql: string): { bind(...values: unknown[]): unknown; all(): Promise<{ results: unknown[] }> };
  batch(statements: unknown[]): Promise<unknown>;
};

/**
 * Splits SQL into statements on `;` outside quotes, comments and CREATE TRIGGER ... END bodies.
 * Comments are kept inside the statement they precede; empty statements are dropped.
 */
export function splitSql(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  let blockDepth = 0;
  const word = (at: number) => /^[A-Za-z_]+/.exec(sql.slice(at))?.[0]?.toUpperCase() ?? "";
  const isWordStart = (at: number) => at === 0 || !/[A-Za-z0-9_]/.test(sql[at - 1]!);
  const push = (end: number) => {
    const stmt = sql.slice(start, end).trim();
    const code = stmt.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, "").trim();
    if (code) out.push(stmt);
  };
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "-" && sql[i + 1] === "-") {
      const nl = sql.indexOf("\n", i);
      i = nl === -1 ? sql.length : nl + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (c === "'" || c === '"' || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c;
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === close) {
          if (close !== "]" && sql[j + 1] === close) j += 2;
          else break;
        } else j++;
      }
      i = j + 1;
    } else if (isWordStart(i) && /[A-Za-z]/.test(c)) {
      const w = word(i);
      // Trigger bodies hold `;`-terminated statements between BEGIN and END.
      if (w === "BEGIN" && /\bCREATE\s+(?:TEMP\w*\s+)?TRIGGER\b/i.test(sql.slice(start, i))) blockDepth++;
      else if (w === "CASE" && blockDepth > 0) blockDepth++;
      else if (w === "END" && blockDepth > 0) blockDepth--;
      i += w.length;
    } else if (c === ";" && blockDepth === 0) {
      push(i);
      start = i + 1;
      i++;
    } else {
      i++;
    }
  }
  push(sql.length);
  return out;
}

export async function applyD1Migrations(db: D1Like, dir: string, log: (line: string) => void) {
  await db.batch([
    db.prepare(
      "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)",
    ),
  ]);
  const applied = new Set(
    (await db.prepare("SELECT name FROM d1_migrations").all()).results.map((r) => (r as { name: string }).name),
  );
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  const pending = files.filter((f) => !applied.has(f));
  for (const file of pending) {
    const statements = splitSql(readFileSync(path.join(dir, file), "utf8"));
    try {
      await db.batch([
        ...statements.map((s) => db.prepare(s)),
        db.prepare("INSERT INTO d1_migrations (name) VALUES (?)").bind(file),
      ]);
    } catch (err) {
      throw new Error(`D1 migration ${file} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    log(`applied D1 migration ${file} (${statements.length} statements)`);
  }
  if (pending.length === 0) log(`D1 migrations up to date (${files.length})`);
}
