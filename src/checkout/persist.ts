import { findIdempotentResponse } from "../db/checkout-reads";
import { type PlacedOrder, writePlacedOrder } from "../db/checkout-writes";
import { releaseUnpaid } from "../gateways/stock";
import type { Attempt } from "./attempt";
import type { Answered } from "./outcome";
import { replayHeld } from "./replay";

/**
 * Writes the order in its one batch. If the batch fails the stock goes back, unless the order is
 * there after all: a concurrent duplicate won (same body means the same hold id, and the hold is
 * the winner's now, all but SKUs only this attempt's routing picked), or the batch committed and
 * only its answer was lost (a dropped connection), whose retry replays this order and must find its
 * units still held. A lookup that fails too (D1 down) cannot tell which, so nothing goes back: an
 * order may be there, and without one the hold's alarm returns the stock at its expiry.
 */
export async function persist(
  a: Attempt,
  placed: PlacedOrder,
  skuIds: string[],
): Promise<{ outboxIds: number[] } | Answered> {
  try {
    return { outboxIds: await writePlacedOrder(a.db, placed, a.background) };
  } catch (err) {
    const row = await findIdempotentResponse(a.db, a.scope, a.key).catch(() => Promise.reject(err));
    if (row) return { answer: await replayHeld(a, row, skuIds) };
    await releaseUnpaid(a.env, a.holdId, skuIds, "checkout_failed");
    throw err;
  }
}
