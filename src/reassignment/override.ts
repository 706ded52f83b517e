import type { FieldError } from "../contracts/common";
import type { Db } from "../db/client";
import {
  activeOffersOf,
  findSite,
  findVendorTerms,
  type OfferRow,
  offersByIds,
  type SiteRow,
  sitesOf,
} from "../db/routing";
import type { Point } from "../domain/geo";
import { planRoute } from "../domain/routing/assign";
import type { RouteLine, RoutePlan } from "../domain/routing/types";
import { loadsThisHour, type PreparedCart, readAvailability, routingRequest } from "../routing/cart";
import { routingModel } from "../routing/model";

/** Units of one line item an override moves. */
export type MovedUnits = { lineItemId: string; lineIndex: number; skuId: string; warehouseId: string; qty: number };

export type OverrideTarget = { skuId?: string; vendorId?: string; warehouseId?: string };

/** Where the moved units go: one vendor, a plan per product and the offers it uses. */
export type OverridePlan = {
  vendorId: string;
  /** The product each moved line item's SKU belongs to. */
  productOf: ReadonlyMap<string, string>;
  plan: Extract<RoutePlan, { ok: true }>;
  offers: ReadonlyMap<string, OfferRow>;
  sites: SiteRow[];
  /** Capacity was checked (routing chose the vendor), or not (ops named it). */
  capacityChecked: boolean;
};

export type OverrideRefusal =
  | { ok: false; code: "VALIDATION_FAILED"; detail: string; errors: FieldError[] }
  | { ok: false; code: "OUT_OF_STOCK"; detail: string };

const invalid = (path: string, message: string): OverrideRefusal => ({
  ok: false,
  code: "VALIDATION_FAILED",
  detail: "The target cannot take these lines",
  errors: [{ path, message }],
});

/** The moved units as one routing line per product. */
function productLines(
  moves: readonly MovedUnits[],
  productOf: ReadonlyMap<string, string>,
  products: readonly string[],
): RouteLine[] {
  const qtyOf = new Map<string, number>();
  for (const m of moves) {
    const p = productOf.get(m.skuId)!;
    qtyOf.set(p, (qtyOf.get(p) ?? 0) + m.qty);
  }
  return products.map((productId, lineIndex) => ({ lineIndex, productId, qty: qtyOf.get(productId)! }));
}

type TargetOffers = { offers: OfferRow[]; vendorId: string | null; site: SiteRow | null };

/**
 * The offers a target allows: the named SKU, the named vendor's (or named warehouse's vendor's)
 * offers of the products moved, or every active offer of them when nothing is named.
 */
async function offersForTarget(
  db: Db,
  target: OverrideTarget,
  products: readonly string[],
): Promise<{ ok: true; value: TargetOffers } | OverrideRefusal> {
  let vendorId: string | null = null;
  let site: SiteRow | null = null;
  if (target.warehouseId) {
    const found = await findSite(db, target.warehouseId);
    if (!found) return invalid("target.warehouseId", "unknown warehouse");
    if (found.status !== "active") return invalid("target.warehouseId", "this warehouse is not active");
    site = found;
    vendorId = found.vendorId;
  }
  if (target.skuId) {
    const [offer] = await offersByIds(db, [target.skuId]);
    if (!offer) return invalid("target.skuId", "unknown SKU");
    if (offer.skuStatus !== "active" || offer.vendorStatus !== "active") {
      return invalid("target.skuId", "this SKU is not for sale");
    }
    if (products.some((p) => p !== offer.productId)) {
      return invalid("target.skuId", "another product than the lines moved; an override swaps offers of one product");
    }
    if (vendorId && vendorId !== offer.vendorId)
      return invalid("target.warehouseId", "not a warehouse of this SKU's vendor");
    return { ok: true, value: { offers: [offer], vendorId: offer.vendorId, site } };
  }
  if (target.vendorId || vendorId) {
    const wanted = target.vendorId ?? vendorId!;
    if (vendorId && vendorId !== wanted) return invalid("target.warehouseId", "not a warehouse of this vendor");
    const terms = await findVendorTerms(db, wanted);
    if (!terms) return invalid("target.vendorId", "unknown vendor");
    if (terms.status !== "active") return invalid("target.vendorId", "this vendor is suspended");
    const offers = await activeOffersOf(db, [...products], wanted);
    const missing = products.filter((p) => !offers.some((o) => o.productId === p));
    if (missing.length > 0) return invalid("target", `vendor ${wanted} offers no ${missing.join(", ")}`);
    return { ok: true, value: { offers, vendorId: wanted, site } };
  }
  return { ok: true, value: { offers: await activeOffersOf(db, [...products], null), vendorId: null, site } };
}

/**
 * Decides where an override sends `moves`, with the routing planner over exact stock: the lines
 * become one product line per product, offered only by the target vendor (the named SKU, the
 * named vendor's offers, the named warehouse's vendor), never back to where the units are now.
 * With no target at all routing picks: vendors in order of the best candidate for the first
 * product, the first that can take every unit, within its hourly capacity. A named target is an
 * ops decision: its capacity is not enforced.
 */
export async function planOverride(
  env: Env,
  db: Db,
  input: {
    moves: readonly MovedUnits[];
    target: OverrideTarget;
    shipTo: Point;
    now: Date;
    /** Vendors that already have a live sub-order in this order: taking lines adds no order to their hour. */
    inOrder: ReadonlySet<string>;
  },
): Promise<{ ok: true; value: OverridePlan } | OverrideRefusal> {
  const sources = await offersByIds(
    db,
    input.moves.map((m) => m.skuId),
  );
  const productOf = new Map(sources.map((o) => [o.skuId, o.productId]));
  const products = [...new Set(input.moves.map((m) => productOf.get(m.skuId)!))].sort();
  const found = await offersForTarget(db, input.target, products);
  if (!found.ok) return found;
  const { offers, vendorId, site } = found.value;

  const vendorIds = [...new Set(offers.map((o) => o.vendorId))];
  const allSites = site ? [site] : await sitesOf(db, vendorIds);
  const [model, availability, loads] = await Promise.all([
    routingModel(env, input.now),
    readAvailability(env, [...new Set(offers.map((o) => o.skuId))].sort()),
    vendorId ? Promise.resolve(null) : loadsThisHour(db, vendorIds, input.now),
  ]);
  // Never back to where the units are now: those places count as empty for this decision.
  const stock = new Map([...availability].map(([sku, byWh]) => [sku, new Map(byWh)]));
  for (const m of input.moves) stock.get(m.skuId)?.set(m.warehouseId, 0);
  const counted = loads ? new Map([...loads].map(([v, n]) => [v, input.inOrder.has(v) ? 0 : n])) : null;

  const lines = productLines(input.moves, productOf, products);
  const planFor = (vendor: string | null) => {
    const mine = offers.filter((o) => vendor === null || o.vendorId === vendor);
    const cart: PreparedCart = {
      point: input.shipTo,
      model,
      lines,
      offers: new Map(mine.map((o) => [o.skuId, o])),
      sites: allSites.filter((s) => mine.some((o) => o.vendorId === s.vendorId)),
      vendorIds: [...new Set(mine.map((o) => o.vendorId))],
      hasProductLines: true,
    };
    return { cart, plan: planRoute(routingRequest(cart, input.now, stock, counted)) };
  };

  // A named vendor is tried alone; otherwise vendors in order of the best candidate for the first product.
  const order = vendorId
    ? [vendorId]
    : [
        ...new Set(
          (planFor(null).plan.lines[0]?.candidates ?? []).filter((c) => c.excluded === null).map((c) => c.vendorId),
        ),
      ];
  for (const vendor of order) {
    const { cart, plan } = planFor(vendor);
    if (plan.ok) {
      return {
        ok: true,
        value: {
          vendorId: vendor,
          productOf,
          plan,
          offers: cart.offers,
          sites: cart.sites,
          capacityChecked: counted !== null,
        },
      };
    }
  }
  return {
    ok: false,
    code: "OUT_OF_STOCK",
    detail: vendorId
      ? `The target cannot cover ${input.moves.reduce((n, m) => n + m.qty, 0)} units of these lines`
      : "No other vendor can take all of these units now",
  };
}
