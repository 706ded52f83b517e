import type { CheckoutResult } from "../contracts/orders";
import { findIdempotentResponse } from "../db/checkout-reads";
import { releaseUnpaid } from "../gateways/stock";
import type { PreparedCart } from "../routing/cart";
import type { Attempt } from "./attempt";
import type { Answered, CheckoutOutcome } from "./outcome";

type StoredAnswer = { requestHash: string; responseBody: string };

/** The stored answer of a checkout under this key, if it was the same cart; else the key is refused. */
export function replay(row: StoredAnswer, requestHash: string): CheckoutOutcome {
  if (row.requestHash !== requestHash) {
    return {
      ok: false,
      code: "IDEMPOTENCY_KEY_REUSED",
      detail: "This Idempotency-Key was used for a different checkout",
    };
  }
  return { ok: true, body: JSON.parse(row.responseBody) as CheckoutResult, replayed: true };
}

/** The answer already written under this attempt's key, if there is one. */
export async function storedAnswer(a: Attempt): Promise<Answered | undefined> {
  const row = await findIdempotentResponse(a.db, a.scope, a.key);
  return row ? { answer: replay(row, a.requestHash) } : undefined;
}

/** A retried product line may land on another offer, so a replay is answered before any claim. */
export async function replayBeforeClaim(a: Attempt, cart: PreparedCart): Promise<Answered | undefined> {
  return cart.hasProductLines ? storedAnswer(a) : undefined;
}

/** The SKUs of an order as its stored checkout answer lists them. */
function skuIdsIn(responseBody: string): Set<string> {
  const body = JSON.parse(responseBody) as CheckoutResult;
  return new Set(body.order.subOrders.flatMap((s) => s.lines.map((l) => l.skuId)));
}

/**
 * The order under this key exists. Same body, same hold id: the hold is that order's (bar offers
 * a product line picked only this time). Another body claimed a hold of its own.
 */
export async function replayHeld(
  a: Attempt,
  row: { requestHash: string; responseBody: string },
  skuIds: string[],
): Promise<CheckoutOutcome> {
  const theirs = row.requestHash === a.requestHash ? skuIdsIn(row.responseBody) : new Set<string>();
  const mine = skuIds.filter((id) => !theirs.has(id));
  if (mine.length > 0) await releaseUnpaid(a.env, a.holdId, mine, "duplicate_checkout");
  return replay(row, a.requestHash);
}
