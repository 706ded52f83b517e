import type { OrderSize } from "../db/bulk-sizes";

/**
 * One request is one Worker invocation: Workers Paid allows it 1,000 D1 queries, and the project
 * holds subrequests (each D1 call, stock-object RPC, provider call, queue send and feed publish) to
 * 1,000 too. A bulk request runs alone in its invocation and takes a third of each, as
 * test/http/invocation-budget.test.ts holds it to: the rest is the margin for these estimates.
 */
export const BULK_BUDGET = { queries: 333, subrequests: 333 };

export type Cost = { queries: number; subrequests: number };

/** Checking the caller and the Idempotency-Key, and reading the ids' sizes. */
const REQUEST: Cost = { queries: 3, subrequests: 3 };

/**
 * What one id may cost, as measured by test/http/invocation-budget.test.ts and rounded up, for an
 * order of S sub-orders and K distinct SKUs (k: the sub-order's own), counting every statement of a
 * batch as a query. Each id's outbox send is counted as if it had a window of its own (a claim and a
 * mark in D1, a queue send and a publish per feed: ops, the shopper and each vendor told):
 * - approve / flag / unflag: load 7 + write 4, 2 D1 calls: 13 queries, 7 + S calls;
 * - cancel an order: 11 + 18 a sub-order (each cancelled, refunded and told on its own), 1 + 7S D1
 *   calls, ≤ 2K stock releases (a moved line's units too), S refunds: 13 + 18S queries, 6 + 9S + 2K calls;
 * - confirm: 12 queries, 3 D1 calls: 14 queries, 9 calls;
 * - cancel a sub-order: 26 queries, 8 D1 calls, ≤ 2k releases, 1 refund: 28 queries, 15 + 2k calls;
 * - assign: 34 + 2k queries, 21 D1 calls, per SKU a snapshot, a set-aside (twice when reopened), the
 *   move and an undo: 36 + 2k queries, 28 + 5k calls.
 * So 20 small orders flag in one request, but only 4 three-vendor orders cancel in one, and a
 * 50-vendor order's cancel alone costs about 913 queries and 560 calls.
 */
const perId = {
  review: (s: OrderSize) => ({ queries: 13, subrequests: 7 + s.subOrders }),
  cancelOrder: (s: OrderSize) => ({ queries: 13 + 18 * s.subOrders, subrequests: 6 + 9 * s.subOrders + 2 * s.skus }),
  confirm: () => ({ queries: 14, subrequests: 9 }),
  cancelSubOrder: (s: OrderSize) => ({ queries: 28, subrequests: 15 + 2 * s.ownSkus }),
  assign: (s: OrderSize) => ({ queries: 36 + 2 * s.ownSkus, subrequests: 28 + 5 * s.ownSkus }),
} satisfies Record<string, (s: OrderSize) => Cost>;

export type BulkAction = keyof typeof perId;

/** An id that names nothing costs what finding that out does. */
const UNKNOWN: OrderSize = { subOrders: 0, skus: 0, ownSkus: 0 };

/**
 * Which ids (by position) one request runs: in request order, while the estimated total stays
 * within the budget; from the first that would pass it on, none is started. The first always runs, whatever its size, so any one
 * order can be acted on: at worst a 50-vendor order's cancel, about 913 queries and 560 calls, still
 * within the limits alone.
 */
export function admitted(action: BulkAction, ids: readonly string[], sizes: Map<string, OrderSize>): boolean[] {
  const spent = { ...REQUEST };
  let open = true;
  return ids.map((id, i) => {
    const cost = perId[action](sizes.get(id) ?? UNKNOWN);
    spent.queries += cost.queries;
    spent.subrequests += cost.subrequests;
    open &&= i === 0 || (spent.queries <= BULK_BUDGET.queries && spent.subrequests <= BULK_BUDGET.subrequests);
    return open;
  });
}
