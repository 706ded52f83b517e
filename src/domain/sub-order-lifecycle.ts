import type { SubOrderStatus } from "./order-status";

export const fulfillmentActions = ["confirm", "pack", "dispatch", "deliver", "cancel"] as const;
export type FulfillmentAction = (typeof fulfillmentActions)[number];

/** The only moves a sub-order can make: action -> the statuses it may start from, and where it goes. */
const moves: Record<FulfillmentAction, { from: readonly SubOrderStatus[]; to: SubOrderStatus }> = {
  confirm: { from: ["paid"], to: "confirmed" },
  pack: { from: ["confirmed"], to: "packed" },
  dispatch: { from: ["packed"], to: "dispatched" },
  deliver: { from: ["dispatched"], to: "delivered" },
  cancel: { from: ["pending_payment", "paid", "confirmed", "packed"], to: "cancelled" },
};

export type Transition =
  | { ok: true; to: SubOrderStatus; repeat: boolean }
  | { ok: false; allowed: FulfillmentAction[] };

/** What `action` does from `status`; repeating the step that led to `status` is a harmless repeat. */
export function transition(status: SubOrderStatus, action: FulfillmentAction): Transition {
  const move = moves[action];
  if (move.from.includes(status)) return { ok: true, to: move.to, repeat: false };
  if (move.to === status) return { ok: true, to: status, repeat: true };
  return { ok: false, allowed: allowedFrom(status) };
}

export function allowedFrom(status: SubOrderStatus): FulfillmentAction[] {
  return fulfillmentActions.filter((a) => moves[a].from.includes(status));
}
