/**
 * A write refused by a UNIQUE constraint: D1 reports it in the message, which drizzle wraps as the
 * error's cause.
 */
export function isUniqueViolation(err: unknown): boolean {
  return (
    err instanceof Error &&
    /UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(`${err.message} ${String(err.cause ?? "")}`)
  );
}
