import { REASSIGNED } from "../contracts/order-status";
import type { LineItemRow, SubOrderRow } from "../db/orders";
import { newId } from "../domain/ids";
import { basisPointsOf, sumMinor } from "../domain/money";
import { addSeconds, isoSeconds } from "../domain/time";
import type { SetAside } from "./holds";
import type { Subject } from "./load";
import type { MovedUnits, OverridePlan } from "./override";
import type { Landing } from "./target";

/** Units of one moved line that land on one SKU in one warehouse. */
export type Piece = { move: MovedUnits; skuId: string; warehouseId: string; qty: number };

export type MovedRecord = {
  lineId: string;
  skuId: string;
  fromWarehouseId: string;
  toSkuId: string;
  toWarehouseId: string;
  qty: number;
};

/** The order's rows after the move, before D1 has them. */
export type Rewrite = {
  subs: Map<string, SubOrderRow>;
  items: Map<string, LineItemRow>;
  /** Line items this move creates (the rest existed before). */
  created: Set<string>;
  source: SubOrderRow;
  target: SubOrderRow;
  newTarget: boolean;
  moved: MovedRecord[];
  /**
   * What the platform pays for a dearer (or gains from a cheaper) offer, shopper's price unchanged:
   * the moved units' new difference to the shopper's price less the one they carried before.
   */
  priceDifference: number;
  /** The source's adjustment that units moved to another sub-order carried away (units reassigned before). */
  adjustmentCarried: number;
};

/**
 * Hands the set-aside units to the moved line items, item by item in plan order (each to its own
 * variant's units): where the stock is is what the line items say, whatever the plan expected.
 */
export function piecesOf(moves: readonly MovedUnits[], plan: OverridePlan, setAside: readonly SetAside[]): Piece[] {
  const added = new Map(setAside.map((s) => [s.skuId, s.allocations.map((a) => ({ ...a }))]));
  const pieces: Piece[] = [];
  for (const d of plan.plan.lines) {
    const queue = [...new Set(d.allocations.map((a) => a.skuId))].flatMap((skuId) =>
      (added.get(skuId) ?? []).map((a) => ({ skuId, ...a })),
    );
    for (const move of moves.filter((m) => plan.itemOf.get(m.skuId) === d.productId)) {
      let left = move.qty;
      for (const q of queue) {
        if (left === 0) break;
        const take = Math.min(left, q.qty);
        if (take === 0) continue;
        pieces.push({ move, skuId: q.skuId, warehouseId: q.warehouseId, qty: take });
        q.qty -= take;
        left -= take;
      }
      if (left > 0) throw new Error(`reassignment: ${left} units of ${move.lineItemId} were not placed`);
    }
  }
  return pieces;
}

/** Sub-orders and line items after the move, re-totalled; parcels and promises are `repromise`'s. */
export function rewriteRows(
  { agg, sub, moves }: Subject,
  landing: Landing,
  plan: OverridePlan,
  pieces: readonly Piece[],
  now: Date,
): Rewrite {
  const at = isoSeconds(now);
  const subs = new Map(agg.subOrders.map((s) => [s.id, { ...s }]));
  const target = targetAfter(subs, landing, plan, sub, now);
  const newTarget = !subs.has(target.id);
  subs.set(target.id, target);
  const items = new Map<string, LineItemRow>(agg.lines.map((l) => [l.id, { ...l }]));
  for (const m of moves) items.get(m.lineItemId)!.qty -= m.qty;
  const { created, moved, priceDifference, adjustmentCarried } = placePieces(
    items,
    agg.lines,
    { sourceId: sub.id, targetId: target.id },
    plan,
    pieces,
  );
  for (const l of items.values()) l.lineTotalMinor = l.qty * l.unitPriceMinor;

  const source = subs.get(sub.id)!;
  const emptied = target.id !== sub.id && ![...items.values()].some((l) => l.subOrderId === sub.id && l.qty > 0);
  if (emptied) {
    // The shopper paid this sub-order's shipping; it now travels with the lines it paid for.
    target.shippingMinor += source.shippingMinor;
    Object.assign(source, { status: "cancelled", cancellationReason: REASSIGNED, cancelledAt: at, shippingMinor: 0 });
  }
  for (const s of new Set([source, target])) {
    // Its lines changed: its vendor confirms them again, and pack refuses it until its stock moved
    // (fulfillment.ts prepareStep reads the claim's pending stock_move).
    if (s.status === "confirmed") Object.assign(s, { status: "paid", confirmedAt: null });
    s.subtotalMinor = sumMinor([...items.values()].filter((l) => l.subOrderId === s.id).map((l) => l.lineTotalMinor));
    s.totalMinor = s.subtotalMinor + s.shippingMinor;
    s.commissionMinor = basisPointsOf(s.subtotalMinor, s.commissionBps);
    s.updatedAt = at;
  }
  return { subs, items, created, source, target, newTarget, moved, priceDifference, adjustmentCarried };
}

/** The sub-order the lines join: the source itself, the target vendor's (revived if emptied before), or a new one. */
function targetAfter(
  subs: Map<string, SubOrderRow>,
  landing: Landing,
  plan: OverridePlan,
  sub: SubOrderRow,
  now: Date,
): SubOrderRow {
  const at = isoSeconds(now);
  const terms = [...plan.offers.values()].find((o) => o.vendorId === plan.vendorId)!;
  const dispatchBy = isoSeconds(addSeconds(now, terms.dispatchSlaHours * 3600));
  if (landing.mode === "same" || landing.mode === "merge") {
    const kept = subs.get(landing.existing?.id ?? sub.id)!;
    // Lines it did not have (or at another warehouse) are packed once their stock has moved: its
    // vendor gets a full SLA for them, not what was left of the old deadline, which could cancel the
    // whole sub-order minutes later. A deadline further off stays; one held for review has none yet.
    if (kept.slaDispatchBy !== null && kept.slaDispatchBy < dispatchBy) {
      Object.assign(kept, { slaDispatchBy: dispatchBy, nudgedAt: null });
    }
    return kept;
  }
  const fresh = {
    vendorId: plan.vendorId,
    status: "paid",
    commissionBps: terms.commissionBps,
    // Cleared by the write if the order is held for review as it lands (its approval starts the clock).
    slaDispatchBy: dispatchBy,
    slaStartedAt: at,
    cancellationReason: null,
    cancelledAt: null,
    confirmedAt: null,
    nudgedAt: null,
    // A revived sub-order's parcel is packed afresh: a photo of the one it was before is not its proof.
    photoKey: null,
    updatedAt: at,
  };
  if (landing.mode === "revive") return Object.assign(subs.get(landing.existing.id)!, fresh);
  return {
    ...sub,
    ...fresh,
    id: newId("sub"),
    subtotalMinor: 0,
    shippingMinor: 0,
    totalMinor: 0,
    commissionMinor: 0,
    promisedDeliveryBy: null,
    packedAt: null,
    dispatchedAt: null,
    deliveredAt: null,
    returnedAt: null,
    photoKey: null,
    carrier: null,
    awb: null,
    createdAt: at,
  };
}

/**
 * The moved units join the target's matching line item, or start one; the price the shopper paid
 * stays. Units on another offer than their line's carry that offer's difference to the shopper's
 * price per unit (`unitAdjustmentMinor`), so a later return gives back exactly their share.
 */
function placePieces(
  items: Map<string, LineItemRow>,
  before: readonly LineItemRow[],
  { sourceId, targetId }: { sourceId: string; targetId: string },
  plan: OverridePlan,
  pieces: readonly Piece[],
) {
  const created = new Set<string>();
  const moved: MovedRecord[] = [];
  let priceDifference = 0;
  let adjustmentCarried = 0;
  for (const p of pieces) {
    const from = before.find((l) => l.id === p.move.lineItemId)!;
    const unitAdjustmentMinor =
      p.skuId === from.skuId ? from.unitAdjustmentMinor : plan.offers.get(p.skuId)!.priceMinor - from.unitPriceMinor;
    const join = [...items.values()].find(
      (l) =>
        l.subOrderId === targetId &&
        l.lineIndex === from.lineIndex &&
        l.skuId === p.skuId &&
        l.warehouseId === p.warehouseId &&
        l.unitPriceMinor === from.unitPriceMinor &&
        l.unitAdjustmentMinor === unitAdjustmentMinor,
    );
    if (join) join.qty += p.qty;
    else {
      const id = newId("li");
      created.add(id);
      items.set(id, {
        ...from,
        id,
        subOrderId: targetId,
        productId: p.skuId === from.skuId ? from.productId : (plan.productOf.get(from.skuId) ?? null),
        skuId: p.skuId,
        warehouseId: p.warehouseId,
        qty: p.qty,
        returnedQty: 0,
        unitAdjustmentMinor,
      });
    }
    priceDifference += (unitAdjustmentMinor - from.unitAdjustmentMinor) * p.qty;
    if (targetId !== sourceId) adjustmentCarried += from.unitAdjustmentMinor * p.qty;
    moved.push({
      lineId: from.id,
      skuId: from.skuId,
      fromWarehouseId: from.warehouseId,
      toSkuId: p.skuId,
      toWarehouseId: p.warehouseId,
      qty: p.qty,
    });
  }
  return { created, moved, priceDifference, adjustmentCarried };
}
