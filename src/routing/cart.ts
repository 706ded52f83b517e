import type { FieldError } from "../contracts/common";
import type { CheckoutBody } from "../contracts/orders";
import type { Db } from "../db/client";
import { type OfferRow, readOffers, type SiteRow } from "../db/routing";
import { vendorLoads } from "../db/vendor-loads";
import { setBounded } from "../domain/bounded-map";
import type { Point } from "../domain/geo";
import { planRoute } from "../domain/routing/assign";
import { indexRequest, lineCandidates, oneItem } from "../domain/routing/candidates";
import type { Availability, RouteLine, RoutePlan, RoutingRequest, VendorInfo } from "../domain/routing/types";
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
 * Stock objects one routing of a cart may read, over all its plans: the first plan's window, the
 * offers product lines fall back to, and the SKUs a re-plan reads again (after a refused claim,
 * around a vendor at capacity). A tenth of an invocation's 1,000 subrequests: a checkout routes at
 * most twice (again over a fresh catalog when an offer went off sale), and its claims, releases and
 * feed updates (one per line or vendor, at most 50 each) fit beside the reads however many vendors
 * sell each product (50 lines by product, 20 sellers each, read 1,000 objects before this cap).
 */
export const MAX_STOCK_READS = 100;
/**
 * Of which the first plan's window: every SKU line's SKU and an even share of the rest per product
 * line (at least one each, as a cart has at most 50 lines), leaving half for fallbacks and re-reads.
 */
const FIRST_READS = 50;

/**
 * Which SKUs' stock a routing reads, and what it read. A SKU line's one offer is read whenever any
 * stock is (see `stockWindow`); a product line's offers are ranked as the router ranks them without
 * stock (score, then distance: stock only excludes), and only the first few are read and planned
 * over. A line short or split over them opens its next ones, in that order, while reads are left.
 */
export type StockWindow = {
  readonly skuLines: readonly string[];
  readonly productLines: { lineIndex: number; ranked: readonly string[]; open: number }[];
  readonly step: number;
  readonly availability: Map<string, ReadonlyMap<string, number>>;
  reads: number;
};

/**
 * The first window. `exact` (the quote): every SKU line's SKU is read. Otherwise none when every line
 * has one offer and no two lines share a vendor: then each line's choice is "the first warehouse in
 * score order that holds it all, else split in that order", which is exactly what its stock object
 * does with the ranking, so asking it first would only double the RPCs on a hot SKU. `loads`:
 * vendors at capacity rank last (null: not counted yet).
 */
export function stockWindow(
  cart: PreparedCart,
  now: Date,
  opts: { loads: ReadonlyMap<string, number> | null; exact: boolean },
): StockWindow {
  const vendorOfLine = cart.lines.map((l) => (l.skuId !== undefined ? cart.offers.get(l.skuId)!.vendorId : null));
  const independent =
    !opts.exact &&
    !cart.hasProductLines &&
    new Set(vendorOfLine).size === vendorOfLine.length &&
    !vendorOfLine.includes(null);
  const skuLines = independent ? [] : cart.lines.flatMap((l) => (l.skuId !== undefined ? [l.skuId] : []));
  const products = cart.lines.filter((l) => l.productId !== undefined);
  const window = { skuLines, productLines: [], step: 0, availability: new Map(), reads: 0 };
  // A cart of SKU lines alone (a flash sale's) ranks nothing here.
  if (products.length === 0) return window;
  const req = routingRequest(cart, now, new Map(), opts.loads);
  const index = indexRequest(req);
  const step = Math.max(1, Math.floor((FIRST_READS - skuLines.length) / products.length));
  return {
    ...window,
    productLines: products.map((line) => {
      const ranked = [...new Set(lineCandidates(req, index, line).map((c) => c.skuId))];
      return { lineIndex: line.lineIndex, ranked, open: Math.min(step, ranked.length) };
    }),
    step,
  };
}

/**
 * `skuIds` with the other offers read of their product lines: what a re-plan after a refused claim
 * reads again, since the rush that sold out one offer may have drained the line's next ones too.
 */
export function withTheirLines(w: StockWindow, skuIds: readonly string[]): string[] {
  const lines = w.productLines.filter((l) => l.ranked.slice(0, l.open).some((id) => skuIds.includes(id)));
  return [...new Set([...skuIds, ...lines.flatMap((l) => l.ranked.slice(0, l.open))])];
}

/** The SKUs the window reads now, SKU lines first. */
export function windowSkus(w: StockWindow): string[] {
  return [...w.skuLines, ...w.productLines.flatMap((l) => l.ranked.slice(0, l.open))];
}

/** The cart as a plan over the window sees it: a product line's offers are those opened. */
export function windowCart(cart: PreparedCart, w: StockWindow): PreparedCart {
  if (w.productLines.length === 0) return cart;
  const keep = new Set([
    ...cart.lines.flatMap((l) => (l.skuId !== undefined ? [l.skuId] : [])),
    ...w.productLines.flatMap((l) => l.ranked.slice(0, l.open)),
  ]);
  return { ...cart, offers: new Map([...cart.offers].filter(([skuId]) => keep.has(skuId))) };
}

type Levels = { warehouses: { warehouseId: string; available: number }[] };
type Read<L extends Levels> = (skuIds: readonly string[]) => Promise<L[]>;

/**
 * Reads `skuIds` (in that order, as many as the routing has reads left for) into the window; a SKU
 * left unread keeps what was read of it before.
 */
async function readInto<L extends Levels>(w: StockWindow, skuIds: readonly string[], read: Read<L>): Promise<L[]> {
  const now = [...new Set(skuIds)].slice(0, Math.max(0, MAX_STOCK_READS - w.reads));
  w.reads += now.length;
  const levels = await read(now);
  levels.forEach((l, i) => {
    w.availability.set(now[i]!, new Map(l.warehouses.map((x) => [x.warehouseId, x.available])));
  });
  return levels;
}

/**
 * Plans the cart over its window: reads `fresh` again first (the whole window on the first plan, the
 * SKUs a re-plan knows moved; those outside the window stay unread), then, while a product line is short or split over its open offers and
 * the routing has reads left, opens its next `step` ones, reads only those, and plans again.
 */
export async function planOverWindow<L extends Levels>(
  cart: PreparedCart,
  w: StockWindow,
  now: Date,
  loads: ReadonlyMap<string, number> | null,
  fresh: readonly string[],
  read: Read<L>,
): Promise<{ plan: RoutePlan; levels: L[] }> {
  const open = new Set(windowSkus(w));
  const levels = await readInto(
    w,
    fresh.filter((id) => open.has(id)),
    read,
  );
  for (;;) {
    const plan = planRoute(routingRequest(windowCart(cart, w), now, w.availability, loads));
    // Short lines first: a split line is covered already, and its reads would be gone before a
    // short one found stock. A short SKU line fails the plan whatever else is read.
    if (!plan.ok && plan.shortages.some((s) => !w.productLines.some((l) => l.lineIndex === s.lineIndex))) {
      return { plan, levels };
    }
    const wanting = new Set(
      plan.ok
        ? plan.lines.filter((d) => d.how === "split").map((d) => d.lineIndex)
        : plan.shortages.map((s) => s.lineIndex),
    );
    const opened: string[] = [];
    for (const l of w.productLines) {
      if (!wanting.has(l.lineIndex) || l.open >= l.ranked.length) continue;
      const room = MAX_STOCK_READS - w.reads - opened.length;
      const more = Math.min(w.step, l.ranked.length - l.open, room);
      opened.push(...l.ranked.slice(l.open, l.open + more));
      l.open += more;
    }
    if (opened.length === 0) return { plan, levels };
    levels.push(...(await readInto(w, opened, read)));
  }
}

/** Exact availability per warehouse, one snapshot RPC per SKU, in parallel. */
export function readSnapshots(env: Env): Read<Levels> {
  return (skuIds) => Promise.all(skuIds.map((id) => snapshotOf(env, id)));
}

/**
 * The same for a checkout's claim under `holdId`: units that hold already has count as available
 * to it, so a retried checkout is routed to the stock it holds even when that was the last of it.
 * `used` on a level: that SKU's object has seen the hold id before.
 */
export function readForHold(env: Env, holdId: string): Read<Levels & { used: boolean }> {
  return (skuIds) => Promise.all(skuIds.map((id) => levelsForHold(env, id, holdId)));
}

/** Exact availability per warehouse of every SKU given, one snapshot RPC each, in parallel. */
export async function readAvailability(env: Env, skuIds: readonly string[]): Promise<Availability> {
  const levels = await readSnapshots(env)(skuIds);
  return new Map(levels.map((l, i) => [skuIds[i]!, new Map(l.warehouses.map((w) => [w.warehouseId, w.available]))]));
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
