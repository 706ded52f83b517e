import type { FieldError } from "../contracts/common";
import type { CheckoutBody } from "../contracts/orders";
import type { Db } from "../db/client";
import { type OfferRow, readOffers, type SiteRow } from "../db/routing";
import { vendorLoads } from "../db/vendor-loads";
import { setBounded } from "../domain/bounded-map";
import type { Point } from "../domain/geo";
import { oneItem } from "../domain/routing/candidates";
import type { Availability, RouteLine, RoutingRequest, VendorInfo } from "../domain/routing/types";
import { levelsForHold, snapshotOf } from "../gateways/stock";
import { type RoutingModel, routingModel, scoreOf } from "./model";
import { shippingPointOf, shipToErrors } from "./ship-point";

/** A cart resolved against the catalog: every offer each line may use, where they ship from, to where. */
export type PreparedCart = {
  point: Point;
  model: RoutingModel;
  lines: RouteLine[];
  /** Every candidate offer by SKU id. */
  offers: ReadonlyMap<string, OfferRow>;
  sites: SiteRow[];
  vendorIds: string[];
  hasProductLines: boolean;
};

// Which offers a SKU or product has, and where their vendors ship from, changes rarely; checkout
// needs it before it may claim stock. Kept per isolate for a few seconds, so a refused claim in a
// rush costs no D1 read. Prices used for the charge are read again once the stock is held; the
// quote reads fresh.
const OFFERS_TTL_MS = 10_000;
const MAX_ENTRIES = 20_000;
/** `oneItem`: every offer is the same item (always, for a SKU); else a product line is ambiguous. */
type Entry = { offers: OfferRow[]; sites: SiteRow[]; oneItem: boolean; until: number };
const offerCache = new Map<string, Entry>();

async function catalogFor(db: Db, skuIds: string[], productIds: string[], fresh: boolean) {
  const found = new Map<string, Entry>();
  const now = Date.now();
  const missSkus: string[] = [];
  const missProducts: string[] = [];
  for (const id of skuIds) {
    const hit = fresh ? undefined : offerCache.get(`sku:${id}`);
    if (hit && hit.until > now) found.set(`sku:${id}`, hit);
    else missSkus.push(id);
  }
  for (const id of productIds) {
    const hit = fresh ? undefined : offerCache.get(`product:${id}`);
    if (hit && hit.until > now) found.set(`product:${id}`, hit);
    else missProducts.push(id);
  }
  if (missSkus.length + missProducts.length > 0) {
    const read = await readOffers(db, missSkus, missProducts);
    const sitesOf = (vendorIds: Set<string>) => read.sites.filter((s) => vendorIds.has(s.vendorId));
    const until = now + OFFERS_TTL_MS;
    for (const row of read.named) {
      const entry = { offers: [row], sites: sitesOf(new Set([row.vendorId])), oneItem: true, until };
      setBounded(offerCache, `sku:${row.skuId}`, entry, MAX_ENTRIES);
      found.set(`sku:${row.skuId}`, entry);
    }
    for (const productId of missProducts) {
      if (!read.products.has(productId)) continue;
      const offers = read.offered.filter((o) => o.productId === productId);
      const skus = read.productSkus.filter((s) => s.productId === productId);
      const entry = {
        offers,
        sites: sitesOf(new Set(offers.map((o) => o.vendorId))),
        oneItem: oneItem(offers, skus),
        until,
      };
      setBounded(offerCache, `product:${productId}`, entry, MAX_ENTRIES);
      found.set(`product:${productId}`, entry);
    }
  }
  return found;
}

/**
 * Resolves a checkout body for routing: unknown SKUs and products, a product line that overlaps a
 * SKU line of the same product, a product nobody sells now, a product whose offers are several
 * variants (sizes, colours: a product line names no variant, and is filled with one item only), an
 * unknown postal code and coordinates far from their postal code are field errors (422), all
 * reported at once.
 */
export async function prepareCart(
  env: Env,
  db: Db,
  body: Pick<CheckoutBody, "lines" | "shipTo">,
  now: Date,
  opts: { fresh: boolean },
): Promise<{ ok: true; cart: PreparedCart } | { ok: false; errors: FieldError[] }> {
  const skuIds = body.lines.flatMap((l) => (l.skuId !== undefined ? [l.skuId] : []));
  const productIds = body.lines.flatMap((l) => (l.productId !== undefined ? [l.productId] : []));
  const [catalog, shipping, model] = await Promise.all([
    catalogFor(db, skuIds, productIds, opts.fresh),
    shippingPointOf(db, body.shipTo),
    routingModel(env, now, { fresh: opts.fresh }),
  ]);

  const errors: FieldError[] = [];
  const offers = new Map<string, OfferRow>();
  const sites = new Map<string, SiteRow>();
  const productOfSkuLine = new Map<string, number>();
  body.lines.forEach((line, i) => {
    if (line.skuId === undefined) return;
    const entry = catalog.get(`sku:${line.skuId}`);
    if (!entry) errors.push({ path: `lines.${i}.skuId`, message: "unknown SKU" });
    else productOfSkuLine.set(entry.offers[0]!.productId, i);
  });
  body.lines.forEach((line, i) => {
    const entry = catalog.get(line.skuId !== undefined ? `sku:${line.skuId}` : `product:${line.productId}`);
    if (!entry) {
      if (line.productId !== undefined) errors.push({ path: `lines.${i}.productId`, message: "unknown product" });
      return;
    }
    if (line.productId !== undefined) {
      const same = productOfSkuLine.get(line.productId);
      if (same !== undefined) {
        errors.push({
          path: `lines.${i}.productId`,
          message: `line ${same} already names an offer of this product; merge them`,
        });
        return;
      }
      if (entry.offers.length === 0) {
        errors.push({ path: `lines.${i}.productId`, message: "no vendor offers this product now" });
        return;
      }
      if (!entry.oneItem) {
        errors.push({ path: `lines.${i}.productId`, message: "comes in several variants: order one by skuId" });
        return;
      }
    }
    for (const o of entry.offers) offers.set(o.skuId, o);
    for (const s of entry.sites) sites.set(s.warehouseId, s);
  });
  if (!shipping.ok) errors.push(...shipToErrors(shipping));
  if (errors.length > 0 || !shipping.ok) return { ok: false, errors };

  return {
    ok: true,
    cart: {
      point: shipping.point,
      model,
      lines: body.lines.map((l, lineIndex) =>
        l.skuId !== undefined
          ? { lineIndex, qty: l.qty, skuId: l.skuId }
          : { lineIndex, qty: l.qty, productId: l.productId! },
      ),
      offers,
      sites: [...sites.values()].sort((a, b) => (a.warehouseId < b.warehouseId ? -1 : 1)),
      vendorIds: [...new Set([...offers.values()].map((o) => o.vendorId))].sort(),
      hasProductLines: productIds.length > 0,
    },
  };
}

/**
 * The SKUs whose exact stock the decision depends on. None when every line has one offer and no
 * two lines share a vendor: then each line's choice is "the first warehouse in score order that
 * holds it all, else split in that order", which is exactly what its stock object does with the
 * ranking, so asking it first would only double the RPCs on a hot SKU. Otherwise all of them.
 */
export function stockNeeded(cart: PreparedCart): string[] {
  const vendorOfLine = cart.lines.map((l) => (l.skuId !== undefined ? cart.offers.get(l.skuId)!.vendorId : null));
  const independent =
    !cart.hasProductLines && new Set(vendorOfLine).size === vendorOfLine.length && !vendorOfLine.includes(null);
  return independent ? [] : [...cart.offers.keys()].sort();
}

type Levels = { warehouses: { warehouseId: string; available: number }[] };

const availabilityOf = (skuIds: readonly string[], levels: Levels[]): Availability =>
  new Map(levels.map((l, i) => [skuIds[i]!, new Map(l.warehouses.map((w) => [w.warehouseId, w.available]))]));

/** Exact availability per warehouse, one snapshot RPC per SKU, in parallel. */
export async function readAvailability(env: Env, skuIds: readonly string[]): Promise<Availability> {
  return availabilityOf(skuIds, await Promise.all(skuIds.map((id) => snapshotOf(env, id))));
}

/**
 * The same for a checkout's claim under `holdId`: units that hold already has count as available
 * to it, so a retried checkout is routed to the stock it holds even when that was the last of it.
 * `used`: some SKU's object has seen the hold id before.
 */
export async function availabilityForHold(
  env: Env,
  skuIds: readonly string[],
  holdId: string,
): Promise<{ availability: Availability; used: boolean }> {
  const levels = await Promise.all(skuIds.map((id) => levelsForHold(env, id, holdId)));
  return { availability: availabilityOf(skuIds, levels), used: levels.some((l) => l.used) };
}

export function loadsThisHour(db: Db, vendorIds: readonly string[], now: Date, excludeOrderId?: string) {
  return vendorLoads(db, vendorIds, now, excludeOrderId);
}

/** The pure planner's input. `loads` null: capacity not counted yet (checkout counts it at reservation). */
export function routingRequest(
  cart: PreparedCart,
  now: Date,
  availability: Availability,
  loads: ReadonlyMap<string, number> | null,
): RoutingRequest {
  const vendors = new Map<string, VendorInfo>();
  for (const o of cart.offers.values()) {
    if (vendors.has(o.vendorId)) continue;
    vendors.set(o.vendorId, {
      vendorId: o.vendorId,
      dispatchSlaHours: o.dispatchSlaHours,
      hourlyCapacity: o.hourlyCapacity,
      ordersThisHour: loads ? (loads.get(o.vendorId) ?? 0) : null,
      score: scoreOf(cart.model, o.vendorId),
    });
  }
  return {
    now: now.getTime(),
    shipTo: cart.point,
    weightsVersion: cart.model.weightsVersion,
    weights: cart.model.weights,
    lines: cart.lines,
    offers: [...cart.offers.values()].map((o) => ({
      skuId: o.skuId,
      productId: o.productId,
      vendorId: o.vendorId,
      unitPriceMinor: o.priceMinor,
      weightGrams: o.weightGrams,
    })),
    vendors: [...vendors.values()],
    sites: cart.sites.map((s) => ({ warehouseId: s.warehouseId, vendorId: s.vendorId, lat: s.lat, lng: s.lng })),
    rates: cart.model.rates,
    availability,
  };
}

/** The context shipments are priced in: the cart's destination, rate cards and vendor SLAs. */
export function shipmentContext(cart: PreparedCart, now: Date) {
  const sla = new Map([...cart.offers.values()].map((o) => [o.vendorId, o.dispatchSlaHours]));
  const site = new Map(cart.sites.map((s) => [s.warehouseId, s]));
  return {
    now: now.getTime(),
    shipTo: cart.point,
    rates: cart.model.rates,
    slaHours: (vendorId: string) => sla.get(vendorId) ?? 0,
    site: (warehouseId: string) => site.get(warehouseId)!,
  };
}
