import type { Background } from "../platform/background";

/**
 * What a job's page hands to `waitUntil` (the outbox sends after each change), awaited together
 * once the page is done: the sends of a page share the dispatch window instead of each change
 * waiting out its own, and the job still returns only after all of them. A failed send is logged:
 * its rows stay in the outbox for the sweeper.
 */
export function pageWork(job: string): Background & { settled(): Promise<void> } {
  const pending: Promise<unknown>[] = [];
  return {
    waitUntil: (promise) => {
      pending.push(promise);
    },
    async settled() {
      for (const r of await Promise.allSettled(pending)) {
        if (r.status === "rejected")
          console.error(JSON.stringify({ job, dispatch: "failed", error: String(r.reason) }));
      }
    },
  };
}

/**
 * A page's first items whose stock-object calls (one per SKU each) fit `calls`, and always the
 * first: an order's calls scale with its SKUs (a cart may hold 50), not with the page's rows.
 */
export function withinStockCalls<T>(items: readonly T[], skusOf: (item: T) => number, calls: number): T[] {
  let spent = 0;
  const out: T[] = [];
  for (const item of items) {
    spent += skusOf(item);
    if (out.length > 0 && spent > calls) break;
    out.push(item);
  }
  return out;
}

/** `items` grouped by `key`, in order of first appearance. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return [...groups.values()];
}
