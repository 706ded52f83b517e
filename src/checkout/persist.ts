import { findIdempotentResponse } from "../db/checkout-reads";
import { type PlacedOrder, writePlacedOrder } from "../db/checkout-writes";
import { uniqueViolation } from "../db/constraints";
import type { OutboxRow } from "../gateways/order-events";
import { releaseAll } from "../gateways/stock";
import type { Attempt } from "./attempt";
import type { Answered } from "./outcome";
import { replay } from "./replay";

/**
 * Writes the order in its one batch. If the batch fails the stock goes back, except to a
 * concurrent duplicate that won: same body means the same hold id, and the hold is the winner's now.
 */
export async function persist(
  a: Attempt,
  placed: PlacedOrder,
  skuIds: string[],
): Promise<{ outbox: OutboxRow[] } | Answered> {
  try {
    return { outbox: await writePlacedOrder(a.db, placed, a.background) };
  } catch (err) {
    if (uniqueViolation(err)) {
      const row = await findIdempotentResponse(a.db, a.scope, a.key);
      if (row) {
        if (row.requestHash !== a.requestHash) await releaseAll(a.env, a.holdId, skuIds, "duplicate_checkout");
        return { answer: replay(row, a.requestHash) };
      }
    }
    await releaseAll(a.env, a.holdId, skuIds, "checkout_failed");
    throw err;
  }
}
