import { type ReassignedMove, SubOrderReassignedPayload } from "../contracts/events";

export const SUB_ORDER_REASSIGNED = "sub_order.reassigned";
/** What the vendor the units reached hears: lines arriving in its own sub-order (the timeline's name too). */
export const SUB_ORDER_REASSIGNED_IN = "sub_order.reassigned_in";

/** An order event as one vendor's feed carries it. */
export type VendorSide = { type: string; data: Record<string, unknown> };

/** The vendors a reassignment concerns: the one its units left and the one they reached. */
export function reassignmentVendors(payload: Record<string, unknown>): string[] {
  const p = SubOrderReassignedPayload.parse(payload);
  return [...new Set([p.vendorId, p.toVendorId])];
}

/**
 * One vendor's side of a reassignment. A vendor may not read another vendor (its API answers 404),
 * so across vendors the source hears only which of its lines lost how many units, and the target
 * hears only the units arriving in its sub-order, by its own SKUs and warehouses. A move within one
 * vendor names only that vendor's ids and is carried whole.
 */
export function reassignmentSide(data: Record<string, unknown>, vendorId: string): VendorSide {
  const p = SubOrderReassignedPayload.parse(data);
  if (p.vendorId === p.toVendorId) return { type: SUB_ORDER_REASSIGNED, data };
  const head = { orderId: data.orderId, outboxId: data.outboxId };
  if (vendorId === p.vendorId) {
    const moves = summed(p.moves, (m) => ({ lineId: m.lineId, skuId: m.skuId, warehouseId: m.fromWarehouseId }));
    return { type: SUB_ORDER_REASSIGNED, data: { ...head, subOrderId: p.subOrderId, vendorId, moves } };
  }
  const moves = summed(p.moves, (m) => ({ skuId: m.toSkuId, warehouseId: m.toWarehouseId }));
  return { type: SUB_ORDER_REASSIGNED_IN, data: { ...head, subOrderId: p.toSubOrderId, vendorId, moves } };
}

/** The moves as one side names them, units summed per name (so a split on the other side does not show). */
function summed<K extends Record<string, string>>(moves: ReassignedMove[], side: (m: ReassignedMove) => K) {
  const byKey = new Map<string, K & { qty: number }>();
  for (const m of moves) {
    const named = side(m);
    const key = JSON.stringify(named);
    const seen = byKey.get(key);
    if (seen) seen.qty += m.qty;
    else byKey.set(key, { ...named, qty: m.qty });
  }
  return [...byKey.values()];
}
