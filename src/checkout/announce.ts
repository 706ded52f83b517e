import { dispatchOutboxRows, type OutboxRow } from "../gateways/order-events";
import { type Background, finishLater } from "../platform/background";
import type { Attempt } from "./attempt";

/**
 * Sends the order's outbox rows to the queue and the live feeds after the response, from the rows
 * the batch returned (no read back). If this never runs, the outbox sweeper sends them.
 */
export function announce(a: Attempt, ctx: Background, written: OutboxRow[]): Promise<void> {
  return finishLater(ctx, dispatchOutboxRows(a.env, written, a.now));
}
