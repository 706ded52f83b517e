import type { SubOrderStatus } from "../contracts/order-status";

export const fulfillmentActions = [
  "confirm",
  "pack",
  "dispatch",
  "deliver",
  "undelivered",
  "return",
  "cancel",
] as const;
export type FulfillmentAction = (typeof fulfillmentActions)[number];

/**
 * The sub-order transition table: action -> the statuses it may start from -> where it goes.
 *
 * Two moves of the lifecycle are not sub-order actions: `pending_payment -> paid` is the payment's
 * (payment-outcome), and `pending_payment -> cancelled` is the whole order's (order cancel, hold
 * expiry), because one unpaid payment covers every sub-order and none can be cut out of it.
 * `return` reaches `returned` only when every unit is back; a partial return stays `delivered`.
 * `undelivered` closes a parcel that never reached the shopper (back at the seller, or lost) as a
 * cancel after dispatch: the shopper is refunded in full, as for a cancel.
 * Tracking milestones (out for delivery, delivery attempted) are timeline events, not moves.
 */
export const transitions: Readonly<Record<FulfillmentAction, { from: readonly SubOrderStatus[]; to: SubOrderStatus }>> =
  {
    confirm: { from: ["paid"], to: "confirmed" },
    pack: { from: ["confirmed"], to: "packed" },
    dispatch: { from: ["packed"], to: "dispatched" },
    deliver: { from: ["dispatched"], to: "delivered" },
    undelivered: { from: ["dispatched"], to: "cancelled" },
    return: { from: ["delivered"], to: "returned" },
    cancel: { from: ["paid", "confirmed", "packed"], to: "cancelled" },
  };

/** Every step a sub-order route takes: the moves, and recording a tracking milestone. */
export type Step = FulfillmentAction | "milestone";

export type Transition = { ok: true; to: SubOrderStatus; repeat: boolean } | { ok: false; allowed: Step[] };

/** What `action` does from `status`; repeating the step that led to `status` is a harmless repeat. */
export function transition(status: SubOrderStatus, action: FulfillmentAction): Transition {
  const move = transitions[action];
  if (move.from.includes(status)) return { ok: true, to: move.to, repeat: false };
  if (move.to === status) return { ok: true, to: status, repeat: true };
  return { ok: false, allowed: allowedFrom(status) };
}

/** The steps a sub-order in `status` accepts, in lifecycle order: the `allowed` of a 409. */
export function allowedFrom(status: SubOrderStatus): Step[] {
  const moves: Step[] = fulfillmentActions.filter((a) => transitions[a].from.includes(status));
  return acceptsMilestone(status) ? [...moves, "milestone"] : moves;
}

/** Tracking milestones describe a parcel on its way, so only a dispatched sub-order takes them. */
export function acceptsMilestone(status: SubOrderStatus): boolean {
  return status === "dispatched";
}
