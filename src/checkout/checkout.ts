import type { CheckoutBody } from "../contracts/orders";
import { unchargeableTotal } from "../domain/chargeable";
import { withinAddressRate } from "../gateways/address-limits";
import { paymentsConfigured } from "../gateways/payment-provider";
import { releaseUnpaid } from "../gateways/stock";
import type { Background } from "../platform/background";
import type { PreparedCart } from "../routing/cart";
import { allocate, explainAllocation, type Held, ownSkuIds } from "./allocate";
import { announce } from "./announce";
import { type Attempt, beginAttempt, type CheckoutInput, type Placing, placing } from "./attempt";
import type { Answered, CheckoutOutcome } from "./outcome";
import { createPayment } from "./payment";
import { persist } from "./persist";
import { placedOrder } from "./placed-order";
import { price } from "./price";
import { releaseOnThrow } from "./release-on-throw";
import { replayBeforeClaim } from "./replay";
import { validateCart, validateHeld } from "./validate";

/**
 * The spine: reserve every line under one hold, then write the whole order in one D1 batch.
 * Stock is claimed before D1 is read (a refused cart costs no D1 round trip); every step that
 * refuses after the claim gives the stock back; nothing is charged before every hold is in.
 */
export async function checkout(env: Env, ctx: Background, input: CheckoutInput): Promise<CheckoutOutcome> {
  // Refused before anything is read, held or written: an order no one can pay must not hold stock.
  if (!paymentsConfigured(env)) {
    return {
      ok: false,
      code: "PAYMENTS_NOT_CONFIGURED",
      detail: "Checkout is closed: this deployment has no payment provider (set the Stripe keys)",
    };
  }
  const rate = await withinAddressRate(env, "checkout", input.clientAddress);
  if (!rate.ok)
    return {
      ok: false,
      code: "RATE_LIMITED",
      detail: "Too many checkouts from this address",
      retryAfterSeconds: rate.retryAfterSeconds,
    };
  const a = await beginAttempt(env, ctx, input);
  const first = await place(a, ctx, input.body, { fresh: false });
  // A product line routed by the catalog cached for a few seconds to an offer gone off sale since
  // (its vendor suspended, its SKU paused) is routed once more over the catalog as it is now.
  const placed = first.offerGone ? await place(a, ctx, input.body, { fresh: true }) : first;
  return placed.answer;
}

async function place(
  a: Attempt,
  ctx: Background,
  body: CheckoutBody,
  catalog: { fresh: boolean },
): Promise<Answered & { offerGone?: boolean }> {
  const valid = await validateCart(a, body, catalog);
  if ("answer" in valid) return valid;
  const { cart } = valid;
  const replayed = await replayBeforeClaim(a, cart);
  if (replayed) return replayed;

  const held = await allocate(a, cart);
  if ("answer" in held) return held;
  const ready = await releaseOnThrow(a, ownSkuIds(held), () => orderFor(placing(a, held), body, cart, held));
  if ("answer" in ready) return ready;
  const { placed, result } = ready;
  const written = await persist(a, placed, ownSkuIds(held));
  if ("answer" in written) return written;
  await announce(a, ctx, written.outboxIds);
  return { answer: { ok: true, body: result, replayed: false } };
}

/** Everything between the claim and the write: checks that need the hold, prices, the payment. */
async function orderFor(a: Placing, body: CheckoutBody, cart: PreparedCart, held: Held) {
  const refused = await validateHeld(a, cart, held);
  if (refused) return refused;
  const priced = price(cart, held, a.now);
  // The total is known only once the held offers are priced; the provider would refuse it on every retry.
  const unchargeable = unchargeableTotal(priced.split.totalMinor, a.cfg.currency);
  if (unchargeable) {
    await releaseUnpaid(a.env, a.holdId, ownSkuIds(held), "total_not_chargeable");
    return { answer: { ok: false, code: "VALIDATION_FAILED", ...unchargeable } } satisfies Answered;
  }
  const explanation = explainAllocation(cart, held);
  const paid = await createPayment(a, ownSkuIds(held), priced.split.totalMinor);
  if ("answer" in paid) return paid;
  return placedOrder(a, body, cart, priced, paid.payment, explanation);
}
