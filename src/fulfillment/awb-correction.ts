import type { SubOrderStatus } from "../contracts/order-status";
import { database } from "../db/client";
import { findByAwb, findSubOrder, isAwbInUse, writeAwbCorrection } from "../db/sub-orders";
import type { Actor, Principal } from "../domain/principal";
import { isoSeconds } from "../domain/time";
import { dispatchOutbox } from "../gateways/order-events";
import { type Background, finishLater } from "../platform/background";
import { awbInUseFor, checkLabel, type FulfillmentOutcome, illegal, visibleSubOrder } from "./fulfillment";

const AWB_CORRECTED = "sub_order.awb_corrected";

/**
 * Only a parcel on its way has a label to correct: before dispatch the AWB is set by dispatching,
 * after delivery (or a cancel) the carrier has nothing more to report on it.
 */
const CORRECTABLE: SubOrderStatus = "dispatched";

/**
 * Puts the right carrier and AWB on a dispatched sub-order. A typo that names another parcel's AWB
 * holds that AWB under the unique index over live AWBs (sub_orders_carrier_awb_live): that parcel's
 * own sub-order could never be dispatched, and the carrier's events for it would land on this one.
 * The new pair is checked as a dispatch checks it (an active carrier, its pattern, on no other live
 * sub-order); the change, a timeline event saying who changed what from what, and an outbox row
 * (the shopper's and vendor's feeds) are one batch guarded on the sub-order still being dispatched
 * with the AWB read here (db/sub-orders.ts writeAwbCorrection). The same pair again is a repeat.
 */
export async function correctAwb(
  env: Env,
  ctx: Background | undefined,
  input: {
    subOrderId: string;
    who: Principal | "system";
    actor: Actor;
    carrier: string;
    awb: string;
    reason: string | null;
    now: Date;
  },
): Promise<FulfillmentOutcome> {
  const found = await visibleSubOrder(env, input.subOrderId, input.who);
  if (!found) return { ok: false, code: "NOT_FOUND", detail: "No such sub-order" };
  const { agg, sub } = found;
  const status = sub.status as SubOrderStatus;
  if (status !== CORRECTABLE) return notCorrectable(status);
  const db = database(env);
  const label = await checkLabel(db, input);
  if ("ok" in label) return label;
  const carrier = label;
  if (sub.carrier === carrier.code && sub.awb === input.awb) return { ok: true, orderId: agg.order.id, changed: false };
  // The check answers the common case; the unique index decides a race with a dispatch of that AWB.
  const holder = await findByAwb(db, carrier.code, input.awb);
  if (holder && holder.id !== sub.id) return awbInUseFor(env, input.who, sub.id, carrier.code, input.awb);

  const at = isoSeconds(input.now);
  // Unique per attempt: the batch's guard on the AWB read, not the key, makes a repeat write nothing.
  const key = `${AWB_CORRECTED}:${sub.id}:${crypto.randomUUID()}`;
  const data = {
    carrier: carrier.code,
    carrierName: carrier.name,
    awb: input.awb,
    previousCarrier: sub.carrier,
    previousAwb: sub.awb,
  };
  const what = `${sub.carrier} ${sub.awb} -> ${carrier.code} ${input.awb}`;
  const written = await writeAwbCorrection(db, {
    subOrderId: sub.id,
    from: { carrier: sub.carrier, awb: sub.awb },
    to: { carrier: carrier.code, awb: input.awb },
    at,
    event: {
      orderId: agg.order.id,
      type: AWB_CORRECTED,
      at,
      actorRole: input.actor.role,
      actorId: input.actor.id,
      reason: input.reason ? `${what}: ${input.reason}` : what,
      data: input.reason ? { ...data, reason: input.reason } : data,
      dedupeKey: key,
    },
    announcement: {
      type: AWB_CORRECTED,
      orderId: agg.order.id,
      payload: { orderId: agg.order.id, subOrderId: sub.id, vendorId: sub.vendorId, status, ...data },
      dedupeKey: key,
      createdAt: at,
    },
  }).catch((err: unknown) => {
    if (isAwbInUse(err)) return null;
    throw err;
  });
  if (written === null) return awbInUseFor(env, input.who, sub.id, carrier.code, input.awb);
  if (!written) {
    // Moved since the read: delivered or cancelled, or corrected by someone else.
    const row = await findSubOrder(db, sub.id);
    const now = (row?.status ?? status) as SubOrderStatus;
    if (now !== CORRECTABLE) return notCorrectable(now);
    if (row?.carrier === carrier.code && row.awb === input.awb)
      return { ok: true, orderId: agg.order.id, changed: false };
    return {
      ok: false,
      code: "CONFLICT",
      detail: `Its AWB changed meanwhile to ${row?.carrier} ${row?.awb}; read it again before correcting it`,
    };
  }
  await finishLater(ctx, dispatchOutbox(env, [key], input.now));
  return { ok: true, orderId: agg.order.id, changed: true };
}

const notCorrectable = (status: SubOrderStatus) =>
  illegal(status, "correct its AWB", `Only a dispatched sub-order's AWB can be corrected; this one is ${status}`);
