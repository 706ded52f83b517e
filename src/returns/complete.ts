import { database, runBatch } from "../db/client";
import { insertEvent, insertOutbox } from "../db/orders";
import { findPendingRefund } from "../db/payments";
import { markClaimRecorded, markReturnedIfAllBack } from "../db/returns";
import { refreshParentStatus } from "../db/sub-orders";
import type { Actor } from "../domain/principal";
import { isoSeconds } from "../domain/time";
import type { visibleSubOrder } from "../fulfillment/fulfillment";
import { dispatchOutbox } from "../gateways/order-events";
import { adjustStock } from "../gateways/stock";
import { type Background, finishLater } from "../platform/background";

/** A line of a claimed return, as the claim took it back. */
export type ClaimedLine = { lineId: string; qty: number; restockable: boolean };

type Loaded = NonNullable<Awaited<ReturnType<typeof visibleSubOrder>>>;

/**
 * What a return does once its units are claimed, as its claim says: its restockable units go back
 * to their line's warehouse (unless `restock` is false: the return was recorded, so they went back
 * already), then the return is recorded (timeline, outbox, `returned` once every unit is back).
 * Safe to repeat, and to run beside another run of the same claim: each restock goes under the
 * claim's key and line, which the stock objects keep a week, and the record is written once under
 * the claim's key. The request and the `returns-follow-up` job (for a request that stopped after
 * its claim) both finish a claim here. Answers the refund the return owes, for its request to pay.
 */
export async function completeReturn(
  env: Env,
  ctx: Background | undefined,
  r: { found: Loaded; key: string; lines: ClaimedLine[]; restock: boolean; actor: Actor; reason: string; now: Date },
) {
  const { agg, sub } = r.found;
  const db = database(env);
  const at = isoSeconds(r.now);
  const mine = new Map(agg.lines.filter((l) => l.subOrderId === sub.id).map((l) => [l.id, l]));
  for (const l of r.restock ? r.lines.filter((l) => l.restockable) : []) {
    const line = mine.get(l.lineId)!;
    await adjustStock(env, {
      skuId: line.skuId,
      warehouseId: line.warehouseId,
      delta: l.qty,
      reason: "return",
      actor: `${r.actor.role}:${r.actor.id ?? ""}`,
      idempotencyKey: `${r.key}:${line.id}`,
    });
  }
  const owed = await findPendingRefund(db, r.key);
  const data = { lines: r.lines, refundedMinor: owed?.amountMinor ?? 0, reason: owed?.reason ?? r.reason };
  await runBatch(db, [
    // Read when the batch runs: of two returns of different lines, the one that brings the last unit back marks it.
    markReturnedIfAllBack(db, sub.id, at),
    markClaimRecorded(db, r.key, at),
    insertEvent(db, {
      orderId: agg.order.id,
      subOrderId: sub.id,
      type: "sub_order.returned",
      at,
      actorRole: r.actor.role,
      actorId: r.actor.id,
      reason: data.reason,
      data,
      dedupeKey: r.key,
    }),
    insertOutbox(db, {
      type: "sub_order.returned",
      orderId: agg.order.id,
      payload: { orderId: agg.order.id, subOrderId: sub.id, vendorId: sub.vendorId, ...data },
      dedupeKey: r.key,
      createdAt: at,
    }),
  ]);
  await refreshParentStatus(db, agg.order.id, at);
  await finishLater(ctx, dispatchOutbox(env, [r.key], r.now));
  return owed;
}
