import { dispatchOutboxIds } from "../gateways/order-events";
import { type Background, finishLater } from "../platform/background";
import type { Attempt } from "./attempt";

/**
 * Sends the order's outbox rows to the queue and the live feeds after the response, by the ids the
 * batch returned. If this never runs, the outbox sweeper sends them.
 */
export function announce(a: Attempt, ctx: Background, outboxIds: number[]): Promise<void> {
  return finishLater(ctx, dispatchOutboxIds(a.env, outboxIds, a.now));
}
