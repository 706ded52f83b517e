import { cancelLoadedSubOrder } from "../cancellation/sub-order-cancellation";
import type { FieldError } from "../contracts/common";
import type { SubOrderStatus } from "../contracts/order-status";
import { type Db, database } from "../db/client";
import type { SubOrderRow } from "../db/orders";
import { stockStillMoving } from "../db/reassignment";
import {
  barcodesOf,
  type CarrierRow,
  claimAwb,
  dropAwbClaim,
  findByAwb,
  findCarrier,
  findSubOrder,
  isAwbInUse,
  loadSubOrder,
  writeMilestone,
  writeTransition,
} from "../db/sub-orders";
import { checkAwb } from "../domain/awb";
import { type BarcodeCount, checkScans } from "../domain/barcode-check";
import type { Actor, Principal } from "../domain/principal";
import { acceptsMilestone, allowedFrom, transition } from "../domain/sub-order-lifecycle";
import { isoSeconds } from "../domain/time";
import { dispatchOutbox } from "../gateways/order-events";
import { stockObject } from "../gateways/stock";
import { type Background, finishLater } from "../platform/background";

export type FulfillmentOutcome =
  | { ok: true; orderId: string; changed: boolean }
  | { ok: false; code: "NOT_FOUND"; detail: string }
  | { ok: false; code: "ILLEGAL_TRANSITION"; detail: string; allowed: string[] }
  | {
      ok: false;
      code: "VALIDATION_FAILED";
      detail: string;
      errors?: FieldError[];
      missing?: BarcodeCount[];
      unexpected?: BarcodeCount[];
    }
  | { ok: false; code: "PAYMENT_PROVIDER_ERROR"; detail: string }
  | { ok: false; code: "AWB_IN_USE"; detail: string; subOrderId?: string }
  | { ok: false; code: "CONFLICT"; detail: string };

export type ActionInput =
  | { action: "confirm" }
  | { action: "pack"; scanned: string[] }
  | { action: "dispatch"; carrier: string; awb: string }
  | { action: "deliver" }
  | { action: "cancel"; reason: string };

/**
 * The sub-order and its order as `who` may act on them, or null: a vendor reaches only its own
 * sub-orders, and none of an order held for review; customers none through these routes.
 */
export async function visibleSubOrder(
  env: Env,
  subOrderId: string,
  who: Principal | "system",
  opts: { names?: boolean } = {},
) {
  const found = await loadSubOrder(database(env), subOrderId, opts);
  if (!found || who === "system") return found;
  if (who.role === "customer") return null;
  if (who.role === "vendor" && (found.sub.vendorId !== who.vendorId || found.agg.order.reviewHeld)) return null;
  return found;
}

const stamps = {
  confirmed: "confirmedAt",
  packed: "packedAt",
  dispatched: "dispatchedAt",
  delivered: "deliveredAt",
} as const satisfies Partial<Record<SubOrderStatus, keyof SubOrderRow>>;

export const illegal = (status: SubOrderStatus, action: string, detail?: string): FulfillmentOutcome => ({
  ok: false,
  code: "ILLEGAL_TRANSITION",
  detail: detail ?? `A ${status} sub-order cannot ${action}`,
  allowed: allowedFrom(status),
});

type Loaded = NonNullable<Awaited<ReturnType<typeof visibleSubOrder>>>;
type Step = { changes: Partial<SubOrderRow>; data: Record<string, unknown> | null };
type Act = { subOrderId: string; who: Principal | "system"; actor: Actor; now: Date } & ActionInput;

/**
 * Moves one sub-order one step (see domain/sub-order-lifecycle.ts). An illegal step changes
 * nothing; repeating the step that was already taken answers unchanged. The write is one batch
 * (db/sub-orders.ts writeTransition); its outbox row is dispatched right after.
 */
export async function actOnSubOrder(env: Env, ctx: Background | undefined, input: Act): Promise<FulfillmentOutcome> {
  const found = await visibleSubOrder(env, input.subOrderId, input.who);
  if (!found) return { ok: false, code: "NOT_FOUND", detail: "No such sub-order" };
  if (input.action === "cancel") return cancelStep(env, ctx, found, { ...input, action: "cancel" });
  const { agg, sub } = found;
  const from = sub.status as SubOrderStatus;
  const move = transition(from, input.action);
  if (!move.ok) return illegal(from, input.action);
  if (move.repeat) return repeated(agg.order.id, sub, input);

  const step = await prepareStep(env, found, input);
  if ("ok" in step) return step;
  const { changes, data } = step;
  const db = database(env);
  const at = isoSeconds(input.now);
  const stamp = stamps[move.to as keyof typeof stamps];
  if (stamp) changes[stamp] = at;

  const written = await writeTransition(db, {
    agg,
    sub,
    from: [from],
    to: move.to,
    changes,
    actor: input.actor,
    reason: null,
    data,
    at,
  }).catch((err: unknown) => {
    // Another sub-order took the AWB after this one's claim was replaced by a concurrent dispatch
    // of it with another AWB. Its units have shipped already: a dispatch retried completes it.
    if (input.action === "dispatch" && isAwbInUse(err)) return null;
    throw err;
  });
  if (!written) return awbInUseFor(env, input.who, sub.id, changes.carrier!, changes.awb!);
  const { changed, key } = written;
  if (!changed) {
    // Someone else moved it first: the same step is a repeat, anything else is now illegal.
    const row = await findSubOrder(db, sub.id);
    const now = (row?.status ?? from) as SubOrderStatus;
    if (now !== move.to) return illegal(now, input.action);
    if (row) return repeated(agg.order.id, row, input);
  }
  await finishLater(ctx, dispatchOutbox(env, [key], input.now));
  return { ok: true, orderId: agg.order.id, changed };
}

/**
 * A step already taken answers unchanged, but a dispatch naming another carrier or AWB is not that
 * step again: answering it 200 would tell the vendor a shipment was recorded that was not.
 */
function repeated(orderId: string, sub: SubOrderRow, input: ActionInput): FulfillmentOutcome {
  if (input.action === "dispatch" && (sub.carrier !== input.carrier || sub.awb !== input.awb)) {
    return {
      ok: false,
      code: "CONFLICT",
      detail: `Already dispatched with ${sub.carrier} AWB ${sub.awb}`,
    };
  }
  return { ok: true, orderId, changed: false };
}

async function cancelStep(
  env: Env,
  ctx: Background | undefined,
  found: Loaded,
  input: Act & { action: "cancel" },
): Promise<FulfillmentOutcome> {
  const r = await cancelLoadedSubOrder(env, ctx, found, {
    subOrderId: found.sub.id,
    reason: input.reason,
    actor: input.actor,
    now: input.now,
  });
  if (r.ok) return { ok: true, orderId: found.agg.order.id, changed: r.changed };
  if (r.code === "ILLEGAL_TRANSITION") return { ok: false, code: r.code, detail: r.detail, allowed: r.allowed ?? [] };
  return { ok: false, code: r.code, detail: r.detail };
}

/** What a step needs checked or done before its write: scans for pack, carrier, AWB and shipping for dispatch. */
async function prepareStep(env: Env, found: Loaded, input: Act): Promise<Step | FulfillmentOutcome> {
  if (input.action === "pack" || input.action === "dispatch") {
    // A reassignment's D1 claim lands before the order's hold moves (reassignment/holds.ts): until it
    // has, dispatch would ship the hold's units, not these lines. No move can land after this read
    // and slip by: it claims only a paid or confirmed sub-order, still in the status it read, and
    // puts a confirmed one back to paid, so a pack racing it fails its own status guard.
    if (await stockStillMoving(database(env), found.agg.order.id, found.sub.id)) {
      return {
        ok: false,
        code: "CONFLICT",
        detail: `Its stock is still being moved by a reassignment; try to ${input.action} it again in a minute`,
      };
    }
  }
  const lines = found.agg.lines.filter((l) => l.subOrderId === found.sub.id);
  if (input.action === "pack") {
    const refused = await checkPacking(database(env), lines, input.scanned);
    return refused ?? { changes: {}, data: null };
  }
  if (input.action === "dispatch") return dispatchStep(env, found, lines, input);
  return { changes: {}, data: null };
}

async function checkPacking(
  db: Db,
  lines: Loaded["agg"]["lines"],
  scanned: string[],
): Promise<FulfillmentOutcome | null> {
  const barcodes = await barcodesOf(db, [...new Set(lines.map((l) => l.skuId))]);
  // A SKU without a barcode is scanned by its SKU id.
  const check = checkScans(
    lines.map((l) => ({ barcode: barcodes.get(l.skuId) ?? l.skuId, qty: l.qty })),
    scanned,
  );
  if (check.ok) return null;
  return {
    ok: false,
    code: "VALIDATION_FAILED",
    detail: "The scans do not match the sub-order's lines",
    missing: check.missing,
    unexpected: check.unexpected,
  };
}

async function dispatchStep(
  env: Env,
  { agg, sub }: Loaded,
  lines: Loaded["agg"]["lines"],
  input: { carrier: string; awb: string; who: Principal | "system" },
): Promise<Step | FulfillmentOutcome> {
  const db = database(env);
  const label = await checkLabel(db, input);
  if ("ok" in label) return label;
  const carrier = label;
  // Settled before the units leave: a refused AWB must change nothing. The check answers the
  // common case; the claim, under the unique index, decides two dispatches racing for one AWB.
  const holder = await findByAwb(db, carrier.code, input.awb);
  if (holder && holder.id !== sub.id) return awbInUseFor(env, input.who, sub.id, carrier.code, input.awb);
  const claimed = await claimAwb(db, sub.id, carrier.code, input.awb).catch((err: unknown) => {
    if (isAwbInUse(err)) return null;
    throw err;
  });
  if (claimed === null) return awbInUseFor(env, input.who, sub.id, carrier.code, input.awb);
  if (!claimed) {
    // Moved meanwhile: a dispatch that landed first makes this one a repeat.
    const row = await findSubOrder(db, sub.id);
    const now = (row?.status ?? sub.status) as SubOrderStatus;
    if (row && now === "dispatched") {
      return repeated(agg.order.id, row, { action: "dispatch", carrier: carrier.code, awb: input.awb });
    }
    return illegal(now, "dispatch");
  }
  // The units leave the warehouse (out of on_hand and committed) before D1 says so; shipping is
  // idempotent, so a retry after a failed batch is safe.
  const shipped = await shipInOrder(env, agg.order.holdId, [...new Set(lines.map((l) => l.skuId))]);
  if (!shipped) {
    await dropAwbClaim(db, sub.id, carrier.code, input.awb);
    const now = ((await findSubOrder(db, sub.id))?.status ?? sub.status) as SubOrderStatus;
    return illegal(now, "dispatch", `A ${now} sub-order cannot dispatch: its stock was released`);
  }
  return {
    changes: { carrier: carrier.code, awb: input.awb },
    data: { carrier: carrier.code, carrierName: carrier.name, awb: input.awb },
  };
}

/** The active carrier an AWB is checked against, or why the pair is refused (422 with field errors). */
export async function checkLabel(
  db: Db,
  input: { carrier: string; awb: string },
): Promise<CarrierRow | FulfillmentOutcome> {
  const carrier = await findCarrier(db, input.carrier);
  if (!carrier?.active) {
    return {
      ok: false,
      code: "VALIDATION_FAILED",
      detail: "Unknown carrier",
      errors: [{ path: "carrier", message: "not an active carrier of GET /v1/carriers" }],
    };
  }
  const wrongAwb = checkAwb(carrier, input.awb);
  if (wrongAwb) {
    return {
      ok: false,
      code: "VALIDATION_FAILED",
      detail: `Not a ${carrier.name} AWB`,
      errors: [{ path: "awb", message: wrongAwb }],
    };
  }
  return carrier;
}

type AwbInUse = Extract<FulfillmentOutcome, { code: "AWB_IN_USE" }>;

/** The refusal of an AWB another live sub-order holds, naming that sub-order (`holder`) if given. */
export const awbInUse = (carrier: string, awb: string, holder?: string): AwbInUse =>
  holder
    ? {
        ok: false,
        code: "AWB_IN_USE",
        detail: `${carrier} AWB ${awb} is already on sub-order ${holder}, which is not cancelled`,
        subOrderId: holder,
      }
    : {
        ok: false,
        code: "AWB_IN_USE",
        detail: `${carrier} AWB ${awb} is already on another sub-order that is not cancelled`,
      };

/**
 * The AWB-in-use refusal for `who`, naming the live sub-order that holds the AWB when `who` may
 * read it (its own vendor, ops, admin), so a label typed on the wrong parcel is found in one step.
 * Another vendor's (or one hidden by review) is never named: a vendor learns nothing of parcels
 * that are not its own. Read after the refusal, the holder may have moved on: then none is named.
 */
export async function awbInUseFor(
  env: Env,
  who: Principal | "system",
  self: string,
  carrier: string,
  awb: string,
): Promise<AwbInUse> {
  const holder = await findByAwb(database(env), carrier, awb);
  const named = holder && holder.id !== self && (await visibleSubOrder(env, holder.id, who)) ? holder.id : undefined;
  return awbInUse(carrier, awb, named);
}

/**
 * Ships the sub-order's SKUs one at a time in a fixed order, the order a cancellation releases
 * them in: the first SKU's object decides a race between the two. False when that SKU's units
 * were released (the sub-order is being cancelled); anything else failing is a bug.
 */
async function shipInOrder(env: Env, holdId: string, skuIds: string[]): Promise<boolean> {
  const sorted = [...skuIds].sort();
  for (const [i, skuId] of sorted.entries()) {
    const r = await stockObject(env, skuId).ship(holdId);
    if (r.ok) continue;
    if (i === 0 && (r.code === "NOT_COMMITTED" || r.code === "HOLD_RELEASED")) return false;
    throw new Error(`ship ${holdId} ${skuId}: ${r.code}`);
  }
  return true;
}

export const milestoneTypes = ["out_for_delivery", "delivery_attempted"] as const;
export type MilestoneType = (typeof milestoneTypes)[number];
/**
 * How long the parcel's latest milestone, reported again, is the same news: longer than a van run,
 * shorter than the day between two delivery attempts.
 */
const MILESTONE_REPEAT_MS = 12 * 3_600_000;

/**
 * A tracking milestone that is not a status: a timeline event and an outbox row (the shopper's
 * notification and the live feeds), only while the parcel is on its way. `at` is the carrier's
 * time when it reports one, so a redelivered webhook records nothing new.
 */
export async function recordMilestone(
  env: Env,
  ctx: Background | undefined,
  input: {
    subOrderId: string;
    who: Principal | "system";
    actor: Actor;
    type: MilestoneType;
    note: string | null;
    at: Date;
  },
): Promise<FulfillmentOutcome> {
  const found = await visibleSubOrder(env, input.subOrderId, input.who);
  if (!found) return { ok: false, code: "NOT_FOUND", detail: "No such sub-order" };
  const { agg, sub } = found;
  const status = sub.status as SubOrderStatus;
  if (!acceptsMilestone(status)) return illegal(status, input.type, "Tracking milestones follow dispatch");
  const db = database(env);
  const at = isoSeconds(input.at);
  const key = `sub_order.milestone:${sub.id}:${input.type}:${at}`;
  const data = { milestone: input.type, carrier: sub.carrier, awb: sub.awb };
  const written = await writeMilestone(
    db,
    sub.id,
    {
      orderId: agg.order.id,
      type: `sub_order.${input.type}`,
      at,
      actorRole: input.actor.role,
      actorId: input.actor.id,
      reason: input.note,
      data,
      dedupeKey: key,
    },
    {
      type: "sub_order.milestone",
      orderId: agg.order.id,
      payload: { orderId: agg.order.id, subOrderId: sub.id, vendorId: sub.vendorId, ...data },
      dedupeKey: key,
      createdAt: at,
    },
    {
      types: milestoneTypes.map((t) => `sub_order.${t}`),
      since: isoSeconds(input.at.getTime() - MILESTONE_REPEAT_MS),
    },
  );
  if (!written) {
    // Delivered (or otherwise moved) since the read: a milestone now would come after the delivery.
    const now = ((await findSubOrder(db, sub.id))?.status ?? status) as SubOrderStatus;
    if (!acceptsMilestone(now)) return illegal(now, input.type, "Tracking milestones follow dispatch");
  }
  await finishLater(ctx, dispatchOutbox(env, [key], input.at));
  return { ok: true, orderId: agg.order.id, changed: written };
}
