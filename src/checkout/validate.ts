import { type FieldError, MAX_UNIT_PRICE_MINOR } from "../contracts/common";
import type { CheckoutBody } from "../contracts/orders";
import { retryAfterSeconds } from "../domain/time";
import { releaseUnpaid } from "../gateways/stock";
import { type PreparedCart, prepareCart } from "../routing/cart";
import { type Held, ownSkuIds } from "./allocate";
import type { Attempt } from "./attempt";
import type { Answered } from "./outcome";

/** The cart as routing needs it: the marketplace's currency, known lines, a usable address. */
export async function validateCart(
  a: Attempt,
  body: CheckoutBody,
  catalog: { fresh: boolean },
): Promise<{ cart: PreparedCart } | Answered> {
  if (body.currency && body.currency !== a.cfg.currency) {
    return {
      answer: {
        ok: false,
        code: "VALIDATION_FAILED",
        detail: `This marketplace sells in ${a.cfg.currency}`,
        errors: [{ path: "currency", message: `must be ${a.cfg.currency}` }],
      },
    };
  }
  const prepared = await prepareCart(a.env, a.db, body, a.now, catalog);
  if (!prepared.ok) {
    return {
      answer: {
        ok: false,
        code: "VALIDATION_FAILED",
        detail: "Some lines or the address cannot be used",
        errors: prepared.errors,
      },
    };
  }
  return { cart: prepared.cart };
}

/**
 * What can only be checked once the stock is held (the catalog read before the claim may be a
 * few seconds old): every held offer is still for sale from a warehouse the cart ships from, and the
 * customer is under the limit of unpaid orders. A refusal gives back the stock this attempt took.
 * `offerGone`: only product lines were refused as off sale, so routing may find them another offer.
 */
export async function validateHeld(
  a: Attempt,
  cart: PreparedCart,
  held: Held,
): Promise<(Answered & { offerGone?: boolean }) | undefined> {
  // A retry's claim answers the hold its earlier attempt took, wherever that was: a warehouse closed
  // since is not one the cart ships from (nor one it can price a parcel from).
  const shipsFrom = new Set(cart.sites.map((s) => s.warehouseId));
  if ([...held.allocations.values()].some((allocs) => allocs.some((x) => !shipsFrom.has(x.warehouseId)))) {
    await releaseUnpaid(a.env, a.holdId, ownSkuIds(held), "warehouse_closed");
    return {
      answer: {
        ok: false,
        code: "IDEMPOTENCY_KEY_REUSED",
        detail:
          "This Idempotency-Key's earlier attempt holds stock in a warehouse that has closed since; use a new key",
      },
    };
  }
  const skuById = new Map(held.skuRows.map((s) => [s.skuId, s]));
  const errors: FieldError[] = [];
  for (const r of held.plan.reservations) {
    const sku = skuById.get(r.skuId);
    // A price past the cap (written before the cap existed) would make the order's sums inexact.
    if (sku?.skuStatus !== "active" || sku.vendorStatus !== "active" || sku.priceMinor > MAX_UNIT_PRICE_MINOR) {
      const line = cart.lines[r.lineIndex]!;
      errors.push({
        path: `lines.${r.lineIndex}.${line.skuId !== undefined ? "skuId" : "productId"}`,
        message: line.skuId !== undefined ? "this SKU is not for sale" : "the offer routing chose is not for sale",
      });
    }
  }
  if (errors.length > 0) {
    await releaseUnpaid(a.env, a.holdId, ownSkuIds(held), "not_for_sale");
    return {
      answer: { ok: false, code: "VALIDATION_FAILED", detail: "Some lines cannot be sold", errors },
      offerGone: errors.every((e) => e.path.endsWith(".productId")),
    };
  }
  const { open, earliest } = held.openHolds;
  if (open >= a.cfg.maxOpenHoldsPerCustomer) {
    await releaseUnpaid(a.env, a.holdId, ownSkuIds(held), "customer_limit");
    const retryAt = earliest ? Date.parse(earliest) : a.now.getTime() + 60_000;
    return {
      answer: {
        ok: false,
        code: "RATE_LIMITED",
        detail: `At most ${a.cfg.maxOpenHoldsPerCustomer} unpaid orders at a time; pay or cancel one first`,
        retryAfterSeconds: retryAfterSeconds(retryAt - a.now.getTime()),
      },
    };
  }
  return undefined;
}
