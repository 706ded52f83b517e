import type { Background } from "../platform/background";
import { SharedLanes } from "../platform/shared-turns";

/**
 * At most this many statements in one shared batch: a tenth of the 1,000 D1 queries Workers Paid
 * allows an invocation, since the request that sends it is charged for all of them.
 */
export const SHARED_BATCH_MAX_STATEMENTS = 100;

const lanes = new SharedLanes<D1Database, D1PreparedStatement[], D1Result[]>((d1) => ({
  // One batch is one transaction: a failure rolls all of it back, and each caller reruns alone.
  together: async (groups) => {
    const results = await d1.batch(groups.flat());
    let at = 0;
    return groups.map((statements) => {
      const own = results.slice(at, at + statements.length);
      at += statements.length;
      return own;
    });
  },
  alone: (statements) => d1.batch(statements),
  weight: (statements) => statements.length,
  maxWeight: SHARED_BATCH_MAX_STATEMENTS,
}));

/**
 * `d1.batch(statements)`, atomic for these statements as ever, shared with the other callers of
 * the same lane that are waiting when it goes (platform/shared-turns: locally a D1 round trip costs
 * about 0.8 ms of workerd CPU whatever it carries). A lane holds one kind of batch (checkout's
 * reads, say), so a failure in one kind never sends another kind back alone. Checkout's order
 * writes share more than the round trip: `checkout-writes.ts` merges their statements.
 */
export function sharedBatch(
  d1: D1Database,
  laneName: string,
  statements: D1PreparedStatement[],
  background: Background | undefined,
): Promise<D1Result[]> {
  if (statements.length === 0) return d1.batch(statements);
  return lanes.call(d1, laneName, statements, background);
}
