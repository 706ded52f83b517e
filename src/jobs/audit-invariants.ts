import { database } from "../db/client";
import { paidOrdersWithLines } from "../db/orders";
import { isoSeconds } from "../domain/time";
import { stockObject } from "../gateways/stock";

const WINDOW_HOURS = 24;
const MAX_ORDERS = 200;
// Stock-object calls per run: one per SKU of each order checked, one per SKU touched. The audit
// has its cron invocation to itself; this keeps it under a third of the 1,000 subrequests however
// many SKUs the orders hold (200 orders of 50 SKUs would be 10,000 calls). Like MAX_ORDERS, it
// makes a run a sample of the window's paid orders: the ones whose checks fit.
const MAX_CALLS = 300;

type Violation = { kind: string; orderId?: string; skuId: string; detail: string };

/**
 * Checks ARCHITECTURE.md's invariants against the stock objects themselves: every recently paid
 * order has each line of its sub-orders that are not cancelled committed (or shipped) exactly once
 * (a cancelled one's units were released), and every SKU it touched
 * keeps on_hand = available + held + committed with nothing negative. Violations are logged.
 */
export async function auditInvariants(env: Env, now: Date) {
  const since = isoSeconds(new Date(now.getTime() - WINDOW_HOURS * 3600_000));
  const paid = within(await paidOrdersWithLines(database(env), since, MAX_ORDERS), MAX_CALLS);
  const violations: Violation[] = [];
  const skus = new Set<string>();
  for (const order of paid) {
    const expected = new Map<string, number>();
    for (const l of order.lines) {
      expected.set(l.skuId, (expected.get(l.skuId) ?? 0) + l.qty);
      skus.add(l.skuId);
    }
    for (const [skuId, qty] of expected) {
      const rows = await stockObject(env, skuId).holdsOf(order.holdId);
      const kept = rows
        .filter((r) => r.status === "committed" || r.status === "shipped")
        .reduce((n, r) => n + r.qty, 0);
      if (kept !== qty) {
        violations.push({
          kind: "line_not_committed_once",
          orderId: order.id,
          skuId,
          detail: `expected ${qty}, found ${kept}`,
        });
      }
    }
  }
  for (const skuId of skus) {
    const snap = await stockObject(env, skuId).snapshot();
    for (const w of snap.warehouses) {
      if (w.onHand !== w.available + w.held + w.committed || Math.min(w.onHand, w.available, w.held, w.committed) < 0) {
        violations.push({ kind: "stock_equation", skuId, detail: `${w.warehouseId}: ${JSON.stringify(w)}` });
      }
    }
  }
  if (violations.length > 0) console.error(JSON.stringify({ job: "audit-invariants", violations }));
  return { ordersChecked: paid.length, skusChecked: skus.size, violations };
}

/** The first orders whose checks fit `calls` stock-object calls (their SKUs' holds, and each SKU's snapshot once). */
function within<T extends { lines: { skuId: string }[] }>(orders: T[], calls: number): T[] {
  const skus = new Set<string>();
  let spent = 0;
  const out: T[] = [];
  for (const order of orders) {
    const own = new Set(order.lines.map((l) => l.skuId));
    const cost = own.size + [...own].filter((id) => !skus.has(id)).length;
    if (spent + cost > calls) continue;
    spent += cost;
    for (const id of own) skus.add(id);
    out.push(order);
  }
  return out;
}
