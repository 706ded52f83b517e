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

/**
 * The order's vendors as routing sees them when it picks the target, each judged by `landingOf` so
 * routing never picks a vendor the landing then refuses: `live`, those whose sub-order takes the
 * lines as it is (taking them adds no order to their hour); `closed`, those whose sub-order of this
 * order cannot take lines at all (dispatched, delivered, cancelled other than by a reassignment):
 * not candidates, or a 409 would hide a vendor that could take the units.
 */
export function vendorsOfOrder(subject: Subject): { live: Set<string>; closed: Set<string> } {
  const live = new Set<string>();
  const closed = new Set<string>();
  for (const vendorId of new Set(subject.agg.subOrders.map((s) => s.vendorId))) {
    const landing = landingOf(subject, vendorId);
    if (!landing.ok) closed.add(vendorId);
    else if (landing.landing.mode === "same" || landing.landing.mode === "merge") live.add(vendorId);
  }
  return { live, closed };
}
