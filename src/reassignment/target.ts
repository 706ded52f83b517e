import type { SubOrderStatus } from "../contracts/order-status";
import { REASSIGNED } from "../contracts/order-status";
import type { SubOrderRow } from "../db/orders";
import { MOVABLE, type Subject } from "./load";
import { type ReassignRefusal, refused } from "./outcome";

/**
 * Where the moved lines land: `same` (the sub-order itself, its vendor keeps them), `merge` (the
 * target vendor's live sub-order of this order), `revive` (its sub-order earlier emptied by a
 * reassignment) or `new`. Never the source re-labelled to another vendor, even when all of it
 * moves: a cancel that read the source before the move releases the SKUs it read and then cancels
 * the source by id, so that id must never come to carry SKUs it did not read.
 */
export type Landing =
  | { mode: "same" | "new"; existing: undefined }
  | { mode: "merge" | "revive"; existing: SubOrderRow };

export function landingOf({ agg, sub }: Subject, toVendor: string): { ok: true; landing: Landing } | ReassignRefusal {
  if (toVendor === sub.vendorId) return { ok: true, landing: { mode: "same", existing: undefined } };
  const existing = agg.subOrders.find((s) => s.vendorId === toVendor && s.id !== sub.id);
  if (!existing) return { ok: true, landing: { mode: "new", existing: undefined } };
  if (MOVABLE.includes(existing.status as SubOrderStatus)) return { ok: true, landing: { mode: "merge", existing } };
  if (existing.status === "cancelled" && existing.cancellationReason === REASSIGNED) {
    return { ok: true, landing: { mode: "revive", existing } };
  }
  return refused(
    "ILLEGAL_TRANSITION",
    `Vendor ${toVendor}'s sub-order of this order is ${existing.status}; lines cannot join it`,
    [],
  );
}
