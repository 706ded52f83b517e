import type { FieldError } from "../contracts/common";
import type { Db } from "../db/client";
import {
  activeOffersOf,
  findSite,
  findVendorTerms,
  mostSkusPerVendor,
  type OfferRow,
  offersByIds,
  type SiteRow,
  sitesOf,
} from "../db/routing";
import { barcodesOf } from "../db/sub-orders";
import type { Point } from "../domain/geo";
import { planRoute } from "../domain/routing/assign";
import type { RouteLine, RoutePlan } from "../domain/routing/types";
import { loadsThisHour, type PreparedCart, readAvailability, routingRequest } from "../routing/cart";
import { routingModel } from "../routing/model";

/** Units of one line item an override moves. */
export type MovedUnits = { lineItemId: string; lineIndex: number; skuId: string; warehouseId: string; qty: number };

export type OverrideTarget = { skuId?: string; vendorId?: string; warehouseId?: string };

/** Where the moved units go: one vendor, a plan per item and the offers it uses. */
export type OverridePlan = {
  vendorId: string;
  /** The product each moved line item's SKU belongs to. */
  productOf: ReadonlyMap<string, string>;
  /** The item (`itemKey`) of each moved SKU and of each offer the plan may use: the plan's lines are by item. */
  itemOf: ReadonlyMap<string, string>;
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

/**
 * What the shopper bought, whoever sells it: the product and the variant's GTIN (the barcode).
 * Vendors' SKUs of one product are its offers and its variants alike (a size is another SKU of the
 * product, README "Products by CSV"); an import joins another seller's product by that GTIN, and a
 * vendor's GTINs are unique (`skus_vendor_barcode`), so the same key at another vendor is the same
 * item, and at the same vendor the same SKU.
 */
const itemKey = (productId: string, barcode: string) => `${productId}/${barcode}`;

type ItemSku = { skuId: string; vendorId: string; productId: string };

/**
 * Each SKU's item: a moved SKU's own key, which an offer shares when it sells the same item. That is
 * the same GTIN, or, for a product with no variants at all (no vendor lists it as more than one SKU,
 * whatever their status), another vendor's one SKU of it whatever its barcode: vendors often label
 * one item with barcodes of their own. Once any vendor lists two SKUs of the product, a vendor
 * listing one may sell either variant (only the M of an M and L), so only the GTIN says which.
 */
function itemsOf(
  moved: readonly ItemSku[],
  offers: readonly ItemSku[],
  barcodes: ReadonlyMap<string, string>,
  mostSkus: ReadonlyMap<string, number>,
): Map<string, string> {
  const hasVariants = (productId: string) => (mostSkus.get(productId) ?? 0) > 1;
  const keyOf = (s: ItemSku) => itemKey(s.productId, barcodes.get(s.skuId)!);
  const itemOf = new Map(moved.map((m) => [m.skuId, keyOf(m)]));
  for (const o of offers) {
    if (itemOf.has(o.skuId)) continue;
    const same = moved.find(
      (m) =>
        m.productId === o.productId &&
        (barcodes.get(m.skuId) === barcodes.get(o.skuId) || (m.vendorId !== o.vendorId && !hasVariants(o.productId))),
    );
    itemOf.set(o.skuId, same ? keyOf(same) : keyOf(o));
  }
  return itemOf;
}

/**
 * The moved units as one routing line per item (never per product: two sizes of one product stay
 * two lines, each to be covered by its own variant).
 */
function itemLines(moves: readonly MovedUnits[], itemOf: ReadonlyMap<string, string>): RouteLine[] {
  const qtyOf = new Map<string, number>();
  for (const m of moves) {
    const item = itemOf.get(m.skuId)!;
    qtyOf.set(item, (qtyOf.get(item) ?? 0) + m.qty);
  }
  return [...qtyOf.keys()].sort().map((item, lineIndex) => ({ lineIndex, productId: item, qty: qtyOf.get(item)! }));
}

/**
 * The offers of the items moved: a reassignment changes where the units ship from and who sells
 * them, never what the shopper bought. A named SKU or vendor that sells none of an item moved is
 * refused; with nothing named, an item no one else sells finds no stock (409).
 */
function offersOfItems(
  target: OverrideTarget,
  vendorId: string | null,
  moved: ReadonlySet<string>,
  offers: readonly OfferRow[],
  itemOf: ReadonlyMap<string, string>,
): { ok: true; offers: OfferRow[] } | OverrideRefusal {
  const kept = offers.filter((o) => moved.has(itemOf.get(o.skuId)!));
  const missing = [...moved].filter((item) => !kept.some((o) => itemOf.get(o.skuId) === item));
  if (missing.length === 0 || (!target.skuId && !vendorId)) return { ok: true, offers: kept };
  const what = `the variant bought (${missing.map((i) => `barcode ${i.slice(i.indexOf("/") + 1)}`).join(", ")})`;
  return target.skuId
    ? invalid("target.skuId", `another variant than the lines moved: a reassignment keeps ${what}`)
    : invalid("target", `vendor ${vendorId} does not sell ${what}`);
}

type TargetOffers = { offers: OfferRow[]; vendorId: string | null; site: SiteRow | null };

/**
 * The offers a target allows: the named SKU, the named vendor's (or named warehouse's vendor's)
 * offers of the products moved, or every active offer of them when nothing is named. Narrowed to
 * the variants moved by `offersOfItems`.
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
      return invalid(
        "target.skuId",
        "another product than the lines moved; an override moves units between offers of one item",
      );
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
 * become one line per item (product and variant, `itemKey`), offered only by the target vendor's
 * SKUs of that item (the named SKU, the named vendor's, the named warehouse's vendor's), never back
 * to where the units are now. With no target at all routing picks: vendors in order of the best
 * candidate for the first item, the first that can take every unit, within its hourly capacity,
 * never one whose sub-order of this order cannot take lines. A named target is an ops decision: its
 * capacity is not enforced.
 */
export async function planOverride(
  env: Env,
  db: Db,
  input: {
    moves: readonly MovedUnits[];
    target: OverrideTarget;
    shipTo: Point;
    now: Date;
    /** Vendors whose sub-order of this order takes the lines as it is: taking them adds no order to their hour. */
    inOrder: ReadonlySet<string>;
    /**
     * Vendors whose sub-order of this order cannot take lines (`vendorsOfOrder`): routing never picks
     * them. A named one is left to the landing, which refuses it with the reason.
     */
    closed: ReadonlySet<string>;
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
  const { vendorId, site } = found.value;
  const [barcodes, mostSkus] = await Promise.all([
    barcodesOf(db, [...new Set([...sources, ...found.value.offers].map((o) => o.skuId))]),
    mostSkusPerVendor(db, products),
  ]);
  const itemOf = itemsOf(sources, found.value.offers, barcodes, mostSkus);
  const items = offersOfItems(
    input.target,
    vendorId,
    new Set(input.moves.map((m) => itemOf.get(m.skuId)!)),
    found.value.offers,
    itemOf,
  );
  if (!items.ok) return items;
  const offers = vendorId ? items.offers : items.offers.filter((o) => !input.closed.has(o.vendorId));

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

  const lines = itemLines(input.moves, itemOf);
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
    const request = routingRequest(cart, input.now, stock, counted);
    // The planner offers a product line every offer of its product: keyed by item, a line gets its variant's only.
    const byItem = request.offers.map((o) => ({ ...o, productId: itemOf.get(o.skuId)! }));
    return { cart, plan: planRoute({ ...request, offers: byItem }) };
  };

  // A named vendor is tried alone; otherwise vendors in order of the best candidate for the first item.
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
          itemOf,
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
