import type { FieldError } from "../contracts/common";
import type { CheckoutBody } from "../contracts/orders";
import type { Quote } from "../contracts/routing";
import { database } from "../db/client";
import { unchargeableTotal } from "../domain/chargeable";
import { sumMinor } from "../domain/money";
import { shipmentsOf } from "../domain/routing/shipments";
import type { Shortage } from "../domain/routing/types";
import { isoSeconds } from "../domain/time";
import { config } from "../platform/config";
import {
  loadsThisHour,
  planOverWindow,
  prepareCart,
  readSnapshots,
  shipmentContext,
  stockWindow,
  windowSkus,
} from "./cart";

export type QuoteOutcome =
  | { ok: true; body: Quote }
  | { ok: false; code: "VALIDATION_FAILED"; detail: string; errors: FieldError[] }
  | { ok: false; code: "OUT_OF_STOCK"; shortages: Shortage[] };

/**
 * What checkout would do with this cart now, without reserving anything: the same routing over
 * exact stock (the objects of each line's best few offers, and of the next while those fall short:
 * `stockWindow`) and this hour's vendor loads, read fresh.
 * Checkout re-decides at its own moment, so stock taken in between can change the answer.
 */
export async function quoteCart(env: Env, body: CheckoutBody, now: Date): Promise<QuoteOutcome> {
  const cfg = config(env);
  if (body.currency && body.currency !== cfg.currency) {
    return {
      ok: false,
      code: "VALIDATION_FAILED",
      detail: `This marketplace sells in ${cfg.currency}`,
      errors: [{ path: "currency", message: `must be ${cfg.currency}` }],
    };
  }
  const db = database(env);
  const prepared = await prepareCart(env, db, body, now, { fresh: true });
  if (!prepared.ok) {
    return {
      ok: false,
      code: "VALIDATION_FAILED",
      detail: "Some lines or the address cannot be used",
      errors: prepared.errors,
    };
  }
  const cart = prepared.cart;
  const errors: FieldError[] = [];
  cart.lines.forEach((l, i) => {
    const o = l.skuId !== undefined ? cart.offers.get(l.skuId) : undefined;
    if (o && (o.skuStatus !== "active" || o.vendorStatus !== "active")) {
      errors.push({ path: `lines.${i}.skuId`, message: "this SKU is not for sale" });
    }
  });
  if (errors.length > 0) return { ok: false, code: "VALIDATION_FAILED", detail: "Some lines cannot be sold", errors };

  // Loads first: a vendor at capacity ranks last, so the window reads offers that can be used.
  const loads = await loadsThisHour(db, cart.vendorIds, now);
  const window = stockWindow(cart, now, { loads, exact: true });
  const { plan } = await planOverWindow(cart, window, now, loads, windowSkus(window), readSnapshots(env));
  if (!plan.ok) return { ok: false, code: "OUT_OF_STOCK", shortages: plan.shortages };

  const money = (amountMinor: number) => ({ amountMinor, currency: cfg.currency });
  const shipments = shipmentsOf(
    shipmentContext(cart, now),
    plan.lines.flatMap((d) =>
      d.allocations.map((a) => {
        const offer = cart.offers.get(a.skuId)!;
        return {
          lineIndex: d.lineIndex,
          skuId: a.skuId,
          ...(d.productId !== undefined ? { productId: d.productId } : {}),
          vendorId: a.vendorId,
          warehouseId: a.warehouseId,
          qty: a.qty,
          unitPriceMinor: offer.priceMinor,
          weightGrams: offer.weightGrams,
        };
      }),
    ),
  );
  const totalMinor = sumMinor(
    shipments.flatMap((s) => [s.shippingMinor, ...s.items.map((i) => i.qty * i.unitPriceMinor)]),
  );
  // Checkout refuses such a total after holding the stock: the quote says so first.
  const unchargeable = unchargeableTotal(totalMinor, cfg.currency);
  if (unchargeable) return { ok: false, code: "VALIDATION_FAILED", ...unchargeable };
  return {
    ok: true,
    body: {
      shipments: shipments.map((s) => ({
        vendorId: s.vendorId,
        warehouseId: s.warehouseId,
        lines: s.items.map((i) => ({
          lineIndex: i.lineIndex,
          skuId: i.skuId,
          ...(i.productId !== undefined ? { productId: i.productId } : {}),
          qty: i.qty,
          unitPrice: money(i.unitPriceMinor),
        })),
        shipping: money(s.shippingMinor),
        promisedDispatchBy: isoSeconds(s.promisedDispatchBy),
        promisedDeliveryBy: isoSeconds(s.promisedDeliveryBy),
      })),
      total: money(totalMinor),
    },
  };
}
