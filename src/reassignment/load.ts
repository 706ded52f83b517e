import type { SubOrderStatus } from "../contracts/order-status";
import { database } from "../db/client";
import type { LineItemRow, OrderAggregate, SubOrderRow } from "../db/orders";
import { movesOfSubOrdersOrder, stockStillMoving } from "../db/reassignment";
import { loadSubOrder } from "../db/sub-orders";
import { allowedFrom } from "../domain/sub-order-lifecycle";
import type { ReassignInput, ReassignRefusal } from "./outcome";
import { refused } from "./outcome";
import type { MovedUnits } from "./override";

/**
 * Lines move once the order is paid and before packing. Not before payment: payment confirmation
 * commits the holds of the SKUs it read and re-reserves any it no longer finds, so units moved
 * under it would be held twice or left uncommitted. Not after packing: the parcel exists.
 */
export const MOVABLE: readonly SubOrderStatus[] = ["paid", "confirmed"];

/** The sub-order a reassignment acts on, as read, and the units it moves. */
export type Subject = {
  agg: OrderAggregate;
  sub: SubOrderRow;
  /** The sub-order's line items. */
  own: LineItemRow[];
  moves: MovedUnits[];
  /**
   * The order's reassignments as of the read (counted just before it): this move is the next one,
   * and it lands only if no other landed since, or it would write totals priced on stale lines.
   */
  movesBefore: number;
};

/** Reads the sub-order and checks the request against it: its status, and each named line and quantity. */
export async function loadSubject(
  env: Env,
  input: ReassignInput,
): Promise<{ ok: true; subject: Subject } | ReassignRefusal> {
  const db = database(env);
  const movesBefore = await movesOfSubOrdersOrder(db, input.subOrderId);
  const found = await loadSubOrder(db, input.subOrderId);
  if (!found) return refused("NOT_FOUND", "No such sub-order");
  const { agg, sub } = found;
  const status = sub.status as SubOrderStatus;
  if (!MOVABLE.includes(status)) {
    const detail =
      status === "pending_payment"
        ? "An unpaid sub-order cannot be reassigned: lines move once the order is paid"
        : `A ${status} sub-order can no longer be reassigned: lines move only before packing`;
    return refused("ILLEGAL_TRANSITION", detail, allowedFrom(status));
  }
  // An earlier move of it whose stock has not followed: its lines say where the units go, its hold
  // says where they are, and a move planned from the lines would take units from where none are.
  if (await stockStillMoving(db, agg.order.id, sub.id)) {
    return refused(
      "CONFLICT",
      "An earlier reassignment of this sub-order is still moving its stock; try again in a minute",
    );
  }
  const own = agg.lines.filter((l) => l.subOrderId === sub.id);
  const moves = movesOf(own, input.lines ?? own.map((l) => ({ lineId: l.id })));
  if (typeof moves === "string") return refused("VALIDATION_FAILED", moves);
  return { ok: true, subject: { agg, sub, own, moves, movesBefore } };
}

/** The units asked for, line by line; a string says what is wrong with the request. */
function movesOf(own: LineItemRow[], asked: { lineId: string; qty?: number }[]): MovedUnits[] | string {
  const moves: MovedUnits[] = [];
  for (const [i, l] of asked.entries()) {
    const item = own.find((x) => x.id === l.lineId);
    if (!item) return `lines.${i}.lineId: not a line of this sub-order`;
    if (moves.some((m) => m.lineItemId === item.id)) return `lines.${i}.lineId: named twice`;
    const qty = l.qty ?? item.qty;
    if (qty > item.qty) return `lines.${i}.qty: the line holds ${item.qty}`;
    moves.push({
      lineItemId: item.id,
      lineIndex: item.lineIndex,
      skuId: item.skuId,
      warehouseId: item.warehouseId,
      qty,
    });
  }
  if (moves.length === 0) return "lines: this sub-order has nothing to move";
  return moves;
}
