import { type Db, database, runBatch } from "../db/client";
import { queueOpsAlert } from "../db/ops-alerts";
import { cancelledPaidOrders, linesOwedNow, paidOrdersWithLines } from "../db/orders";
import { isoSeconds } from "../domain/time";
import { counterDrift, releaseAll, stockObject } from "../gateways/stock";

const WINDOW_HOURS = 24;
const MAX_ORDERS = 200;
const MAX_CANCELLED = 50;
// Stock-object calls per run: one per SKU of each order checked, one per SKU touched. The audit
// has its cron invocation to itself; this keeps it under a third of the project's 1,000 subrequests however
// many SKUs the orders hold (200 orders of 50 SKUs would be 10,000 calls). Like MAX_ORDERS, it
// makes a run a sample of the window's paid orders: the ones whose checks fit.
const MAX_CALLS = 300;
// Of those, kept for the orders cancelled whole: the paid ones would otherwise take them all on a busy day.
const CANCELLED_CALLS = 60;

type Kind = "line_not_committed_once" | "cancelled_order_holds_units" | "stock_equation";
type Violation = { kind: Kind; orderId?: string; skuId: string; warehouseId?: string; detail: string };

/** What ops can do about each: a count corrects stock on hand, not a stock object's own counters. */
const ALERT_ADVICE: Record<Kind, string> = {
  line_not_committed_once: " Count the SKU's stock and correct it with a stock adjustment.",
  cancelled_order_holds_units: "",
  stock_equation:
    " Its counters disagree with its hold rows, which no stock adjustment mends: pause the SKU's sale and escalate it.",
};
/** A line found wrong, with the units its SKU was owed as the order was first read. */
type Suspect = Violation & { orderId: string; owed: number };

/**
 * Checks ARCHITECTURE.md's invariants against the stock objects themselves: every recently paid
 * order has each line of its sub-orders that are not cancelled committed (or shipped) exactly once
 * (a cancelled one's units were released), a paid order cancelled whole holds no unit any more,
 * and every SKU they touched keeps its held and committed counts equal to what its hold rows hold
 * and commit: available is on_hand less those counts, so one short of its rows sells units twice.
 * The orders changed last are checked first; a line found wrong is read again before it is
 * reported (`stillWrong`). Units a cancelled order still holds are given back
 * (the cancel, and the move that raced it, failed to: see cancellation/stray-units). Each violation is
 * logged and alerts ops once (a stock equation once a day per warehouse).
 */
export async function auditInvariants(env: Env, now: Date) {
  const db = database(env);
  const since = isoSeconds(new Date(now.getTime() - WINDOW_HOURS * 3600_000));
  const [live, gone] = await Promise.all([
    paidOrdersWithLines(db, since, MAX_ORDERS),
    cancelledPaidOrders(db, since, MAX_CANCELLED),
  ]);
  const paid = within(live, MAX_CALLS - CANCELLED_CALLS);
  const cancelled = within(
    gone.map((o) => ({ ...o, lines: o.skuIds.map((skuId) => ({ skuId })) })),
    MAX_CALLS - callsOf(paid),
  );
  const suspects: Suspect[] = [];
  const skus = new Set<string>();
  for (const order of paid) {
    const expected = owedBySku(order.lines);
    for (const [skuId, qty] of expected) {
      skus.add(skuId);
      const rows = await stockObject(env, skuId).holdsOf(order.holdId);
      const kept = rows
        .filter((r) => r.status === "committed" || r.status === "shipped")
        .reduce((n, r) => n + r.qty, 0);
      if (kept !== qty) {
        suspects.push({
          kind: "line_not_committed_once",
          orderId: order.id,
          skuId,
          detail: `expected ${qty}, found ${kept}`,
          owed: qty,
        });
      }
    }
  }
  const violations: Violation[] = await stillWrong(db, suspects);
  for (const order of cancelled) {
    for (const { skuId } of order.lines) {
      skus.add(skuId);
      const left = (await stockObject(env, skuId).holdsOf(order.holdId))
        .filter((r) => r.status === "held" || r.status === "committed")
        .reduce((n, r) => n + r.qty, 0);
      if (left > 0) {
        violations.push({
          kind: "cancelled_order_holds_units",
          orderId: order.id,
          skuId,
          detail: `${left} unit(s) still held or committed, now given back to sale`,
        });
      }
    }
    const stray = violations.filter((v) => v.orderId === order.id).map((v) => v.skuId);
    if (stray.length > 0) await releaseAll(env, order.holdId, stray, "cancelled_order_stray_units");
  }
  for (const skuId of skus) {
    for (const w of await counterDrift(env, skuId)) {
      violations.push({
        kind: "stock_equation",
        skuId,
        warehouseId: w.warehouseId,
        detail: `${w.warehouseId}: ${JSON.stringify(w)}`,
      });
    }
  }
  if (violations.length > 0) {
    console.error(JSON.stringify({ job: "audit-invariants", violations }));
    const at = isoSeconds(now);
    await runBatch(
      db,
      violations.map((v) =>
        queueOpsAlert(db, {
          template: "invariant_violated",
          dedupeKey: alertKey(v, at),
          text: `Stock invariant broken (${v.kind}) for SKU ${v.skuId}${v.orderId ? ` of order ${v.orderId}` : ""}: ${v.detail}.${ALERT_ADVICE[v.kind]}`,
          params: { ...v },
          at,
        }),
      ),
    );
  }
  return { ordersChecked: paid.length + cancelled.length, skusChecked: skus.size, violations };
}

/** The units each SKU is owed by `lines`. */
function owedBySku(lines: { skuId: string; qty: number }[]): Map<string, number> {
  const owed = new Map<string, number>();
  for (const l of lines) owed.set(l.skuId, (owed.get(l.skuId) ?? 0) + l.qty);
  return owed;
}

/**
 * The suspects still wrong once their orders are read again. The stock-object calls take seconds:
 * a cancel or a move landing between the read of an order's lines and that of its holds changes
 * what its SKUs are owed, which is no fault (the next run checks the order again). An order whose
 * move has not reached its hold yet keeps the old lines' units there until the reassignment-stock
 * job moves them (or tells ops it cannot): not a fault for ops to correct by hand either.
 */
async function stillWrong(db: Db, suspects: Suspect[]): Promise<Violation[]> {
  if (suspects.length === 0) return [];
  const now = await linesOwedNow(
    db,
    suspects.map((s) => s.orderId),
  );
  return suspects
    .filter(
      (s) =>
        !now.stockMoving.has(s.orderId) &&
        owedBySku(now.lines.filter((l) => l.orderId === s.orderId)).get(s.skuId) === s.owed,
    )
    .map(({ owed: _, ...v }) => v);
}

/**
 * Once per order and SKU for an order's violation (it stays until fixed); a warehouse's broken
 * equation once a day, so one that breaks again after a fix is told again.
 */
const alertKey = (v: Violation, at: string) =>
  v.orderId
    ? `invariant:${v.kind}:${v.orderId}:${v.skuId}`
    : `invariant:${v.kind}:${v.skuId}:${v.warehouseId ?? ""}:${at.slice(0, 10)}`;

/** The stock-object calls the checks of `orders` take: each one's SKUs' holds, and each SKU's counts once. */
function callsOf(orders: { lines: { skuId: string }[] }[]): number {
  const own = orders.map((o) => new Set(o.lines.map((l) => l.skuId)));
  return own.reduce((n, s) => n + s.size, 0) + new Set(own.flatMap((s) => [...s])).size;
}

/** The first orders whose checks fit `calls` stock-object calls (their SKUs' holds, and each SKU's counts once). */
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
