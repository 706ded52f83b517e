/** The table and columns of the UNIQUE index (or primary key) a write broke. */
export type UniqueViolation = { table: string; columns: string[] };

/**
 * Which unique index refused a write, read from SQLite's message ("UNIQUE constraint failed:
 * skus.vendor_id, skus.code"), which D1 and drizzle wrap into the error or its causes; null for
 * any other error. Writers let the constraint decide rather than reading first, so two concurrent
 * writes cannot both pass.
 */
export function uniqueViolation(err: unknown): UniqueViolation | null {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const m = /UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)/.exec(e.message);
    if (!m) continue;
    const pairs = m[1]!.split(", ").map((c) => c.split("."));
    return { table: pairs[0]![0]!, columns: pairs.map((p) => p[1] ?? p[0]!) };
  }
  return null;
}
