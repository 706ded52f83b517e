import { readCheckoutContext } from "../db/checkout-reads";
import { type OfferRow, offersByIds } from "../db/routing";
import { explain, type RoutingExplanation } from "../domain/routing/explain";
import type { Allocation, RoutePlan } from "../domain/routing/types";
import { retryAfterSeconds } from "../domain/time";
import { type Allocation as HeldUnits, type ReserveAllResult, releaseUnpaid, reserveAll } from "../gateways/stock";
import {
  type PreparedCart,
  planOverWindow,
  readForHold,
  type StockWindow,
  stockWindow,
  windowSkus,
  withTheirLines,
} from "../routing/cart";
import { type Attempt, orderIdFor } from "./attempt";
import type { Answered, CheckoutOutcome } from "./outcome";
import { releaseOnThrow } from "./release-on-throw";
import { replayHeld, storedAnswer } from "./replay";

type Plan = Extract<RoutePlan, { ok: true }>;

/** What checkout sells a held SKU at and whether it may: read once the stock is held. */
export type SaleRow = Pick<
  OfferRow,
  "skuId" | "vendorId" | "priceMinor" | "commissionBps" | "skuStatus" | "vendorStatus"
>;

type Claimed = {
  plan: Plan;
  allocations: ReadonlyMap<string, HeldUnits[]>;
  expiresAt: number;
  /** SKUs an earlier attempt under the same hold id held already: not this attempt's to give back. */
  replayed: ReadonlySet<string>;
};

/**
 * The cart's stock, held under the attempt's hold id, with what D1 says about it and the customer,
 * and the id of the order it is held for (`orderIdFor`).
 */
export type Held = Claimed & {
  orderId: string;
  skuIds: string[];
  skuRows: SaleRow[];
  openHolds: { open: number; earliest: string | null };
};

/**
 * Routes the cart, holds its stock, then reads D1 once. Routing ranks each SKU's warehouses; the
 * stock objects answer first and have the final word. A cart that cannot be covered is refused
 * without touching D1, which is what keeps a rush on one SKU at the speed of its object (the
 * plan's inputs are cached per isolate). Only the stock of each product line's best few offers is
 * read (`stockWindow`), so a product sold by many vendors costs no more subrequests than a few.
 * Every answer given after the claim releases the hold.
 */
export async function allocate(a: Attempt, cart: PreparedCart): Promise<Held | Answered> {
  const window = stockWindow(cart, a.now, { loads: null, exact: false });
  const claimed = await claimCart(a, cart, window);
  if ("answer" in claimed) return claimed;
  // What a throw gives back: the SKUs this attempt claimed, grown as a reroute claims more (a
  // release of each of the cart's candidates would cost a subrequest per offer of every product).
  const mine = [...claimed.allocations.keys()].filter((skuId) => !claimed.replayed.has(skuId));
  return releaseOnThrow(a, mine, () => afterClaim(a, cart, claimed, window, mine));
}

/**
 * The SKUs whose hold this attempt took, which every refusal or failure after the claim gives back.
 * A retry sharing the hold id of an attempt still in flight (or of an order it wrote) finds that
 * hold and claims nothing new: releasing it would free an order's stock.
 */
export const ownSkuIds = (held: Held) => held.skuIds.filter((skuId) => !held.replayed.has(skuId));

async function afterClaim(
  a: Attempt,
  cart: PreparedCart,
  claimed: Claimed,
  window: StockWindow,
  mine: string[],
): Promise<Held | Answered> {
  const skuIds = claimed.plan.reservations.map((r) => r.skuId);
  const orderId = orderIdFor(a, claimed.expiresAt);
  const context = await readCheckoutContext(
    a.db,
    {
      scope: a.scope,
      key: a.key,
      customerId: a.customer.customerId,
      skuIds,
      now: a.nowIso,
      orderId,
      vendorIds: cart.vendorIds,
      at: a.now,
    },
    a.background,
  );
  if (context.idempotent) return { answer: await replayHeld(a, context.idempotent, skuIds) };
  const held = { ...claimed, orderId, skuIds, skuRows: context.skus, openHolds: context.openHolds };
  return anyVendorFull(cart, skuIds, context.loads)
    ? routeAroundFullVendors(a, cart, held, context.loads, window, mine)
    : held;
}

/** Plans over the stock objects' ranking and claims it; a hold id used before may claim again. */
async function claimCart(a: Attempt, cart: PreparedCart, window: StockWindow): Promise<Claimed | Answered> {
  const read = readForHold(a.env, a.holdId);
  const first = await planOverWindow(cart, window, a.now, null, windowSkus(window), read);
  let plan = first.plan;
  if (!plan.ok) {
    // A retry whose first attempt's units are spent (paid for, or lapsed) is answered by its order.
    const stored = first.levels.some((l) => l.used) ? await storedAnswer(a) : undefined;
    return stored ?? { answer: { ok: false, code: "OUT_OF_STOCK", shortages: plan.shortages } };
  }
  let reserved = await claim(a, cart, plan, false);
  if (!reserved.ok && !reserved.limit && !reserved.addressLimit && reserved.closed && reserved.closed.length > 0) {
    // This hold id was used before: either its order exists (replay it), or the attempt died
    // before writing and its hold expired, in which case the same cart may claim again.
    const stored = await storedAnswer(a);
    if (stored) return stored;
    reserved = await claim(a, cart, plan, true);
  }
  if (!reserved.ok && shortOnProductLine(reserved, plan, cart)) {
    // The offer the plan picked for a product line sold out between the read and the claim (the
    // claims of a rush all read the same stock); another vendor's may still have it. Planned once
    // more, the SKUs found short and the other offers read of their lines read again (the rest were
    // read moments ago) and a line short now falling back to its next offers; the failed claim gave
    // back all it took, so it may reopen.
    const short = withTheirLines(
      window,
      reserved.shortages.map((s) => s.skuId),
    );
    const { plan: again } = await planOverWindow(cart, window, a.now, null, short, read);
    if (!again.ok) return { answer: { ok: false, code: "OUT_OF_STOCK", shortages: again.shortages } };
    plan = again;
    reserved = await claim(a, cart, plan, true);
  }
  if (!reserved.ok) return { answer: refusedClaim(reserved, plan, cart, a.cfg.holdTtlSeconds) };
  return { plan, allocations: reserved.allocations, expiresAt: reserved.expiresAt, replayed: reserved.replayed };
}

/** A claim refused only for stock, on a line the cart asked for by product: other offers may have it. */
function shortOnProductLine(reserved: Extract<ReserveAllResult, { ok: false }>, plan: Plan, cart: PreparedCart) {
  if (reserved.limit || reserved.addressLimit || (reserved.closed && reserved.closed.length > 0)) return false;
  return reserved.shortages.some((s) => {
    const lineIndex = plan.reservations.find((r) => r.skuId === s.skuId)!.lineIndex;
    return cart.lines[lineIndex]!.productId !== undefined;
  });
}

/**
 * One hold id across every SKU of the plan, all or nothing (the gateway releases a partial claim).
 * A SKU on flash sale caps each customer lower; the stock object enforces whichever cap is lower,
 * and the units held unpaid from the client address, across every guest it signed up (the
 * per-customer caps alone reset with each new guest). A refusal holds nothing.
 */
function claim(a: Attempt, cart: PreparedCart, plan: Plan, reopen: boolean): Promise<ReserveAllResult> {
  return reserveAll(
    a.env,
    a.holdId,
    plan.reservations.map((r) => ({
      skuId: r.skuId,
      qty: r.qty,
      warehouses: r.warehouses,
      expiresAt: a.holdExpiresAt.getTime(),
      customerId: a.customer.customerId,
      maxUnitsPerCustomer: Math.min(
        a.cfg.maxUnitsPerSkuPerCustomer,
        cart.offers.get(r.skuId)?.saleMaxUnitsPerCustomer ?? Number.MAX_SAFE_INTEGER,
      ),
      clientAddress: a.clientAddress,
      maxUnitsPerAddress: a.cfg.maxHeldUnitsPerIpPerSku,
      reopen,
    })),
    a.background,
  );
}

const vendorFull = (cart: PreparedCart, skuId: string, loads: ReadonlyMap<string, number>) => {
  const offer = cart.offers.get(skuId)!;
  return (loads.get(offer.vendorId) ?? 0) >= offer.hourlyCapacity;
};

function anyVendorFull(cart: PreparedCart, skuIds: string[], loads: ReadonlyMap<string, number>): boolean {
  return skuIds.some((id) => vendorFull(cart, id, loads));
}

/**
 * Hourly capacity is counted here, at reservation: a vendor already at its cap this clock hour
 * gives its units back and the cart is routed again around it, once. The units of vendors with
 * room stay held while it does (in a rush, a unit given back is taken by the next claim waiting on
 * its SKU): routed there again, they are this hold's still; routed elsewhere, they go back. Exact
 * for sequential checkouts; concurrent ones that have not written their orders yet are not counted.
 */
async function routeAroundFullVendors(
  a: Attempt,
  cart: PreparedCart,
  held: Held,
  loads: ReadonlyMap<string, number>,
  window: StockWindow,
  mine: string[],
): Promise<Held | Answered> {
  // Only this attempt's own holds: a duplicate checkout (same key and body, same hold id) still in
  // flight holds the rest, and its order would be written with nothing held.
  const own = ownSkuIds(held);
  const full = own.filter((id) => vendorFull(cart, id, loads));
  if (full.length > 0) await releaseUnpaid(a.env, a.holdId, full, "vendor_at_capacity");
  let kept = own.filter((id) => !full.includes(id));
  const refuse = async (answer: CheckoutOutcome): Promise<Answered> => {
    if (kept.length > 0) await releaseUnpaid(a.env, a.holdId, kept, "vendor_at_capacity");
    return { answer };
  };
  // Over the stock as the claim's plan read it, which counted this hold's units as available to it
  // as they still are: the plan may keep them where they are. A line whose vendor is full falls
  // back to its next offers, read now.
  const { plan } = await planOverWindow(cart, window, a.now, loads, [], readForHold(a.env, a.holdId));
  if (!plan.ok) return refuse({ ok: false, code: "OUT_OF_STOCK", shortages: plan.shortages });
  // A kept SKU planned for another quantity, or not at all, is given back first: a claim under the
  // same hold id answers with the units it holds, and only in the quantity they were held.
  const heldQty = new Map(held.plan.reservations.map((r) => [r.skuId, r.qty]));
  const plannedQty = new Map(plan.reservations.map((r) => [r.skuId, r.qty]));
  const dropped = kept.filter((id) => plannedQty.get(id) !== heldQty.get(id));
  if (dropped.length > 0) await releaseUnpaid(a.env, a.holdId, dropped, "vendor_at_capacity");
  kept = kept.filter((id) => !dropped.includes(id));
  const reserved = await claim(a, cart, plan, true);
  if (!reserved.ok) return refuse(refusedClaim(reserved, plan, cart, a.cfg.holdTtlSeconds));
  const skuIds = plan.reservations.map((r) => r.skuId);
  for (const id of skuIds) if (!mine.includes(id) && !held.replayed.has(id)) mine.push(id);
  const missing = skuIds.filter((id) => !held.skuRows.some((r) => r.skuId === id));
  const skuRows = missing.length > 0 ? [...held.skuRows, ...(await offersByIds(a.db, missing))] : held.skuRows;
  // The order keeps the id its first claim gave it; the hold lapses as the new claim says. The
  // units kept answered the claim as held already, and are this attempt's all the same.
  return {
    ...held,
    plan,
    allocations: reserved.allocations,
    expiresAt: reserved.expiresAt,
    replayed: new Set([...reserved.replayed].filter((id) => !kept.includes(id))),
    skuIds,
    skuRows,
  };
}

/** A claim the stock objects refused, answered as checkout answers it. */
function refusedClaim(
  reserved: Extract<ReserveAllResult, { ok: false }>,
  plan: Plan,
  cart: PreparedCart,
  holdTtlSeconds: number,
): CheckoutOutcome {
  if (reserved.limit) {
    return {
      ok: false,
      code: "RATE_LIMITED",
      detail: `At most ${reserved.limit.limit} units of ${reserved.limit.skuId} per customer at a time`,
      retryAfterSeconds: holdTtlSeconds,
    };
  }
  if (reserved.addressLimit) {
    const { skuId, limit, retryAfterMs } = reserved.addressLimit;
    return {
      ok: false,
      code: "RATE_LIMITED",
      detail: `At most ${limit} units of ${skuId} may be held at once from one client address`,
      retryAfterSeconds: retryAfterSeconds(retryAfterMs),
    };
  }
  if (reserved.closed && reserved.closed.length > 0) {
    return {
      ok: false,
      code: "IDEMPOTENCY_KEY_REUSED",
      detail:
        "This Idempotency-Key belongs to another attempt of this checkout, completed or still holding other stock; use a new key",
    };
  }
  return {
    ok: false,
    code: "OUT_OF_STOCK",
    shortages: reserved.shortages.map((s) => {
      const lineIndex = plan.reservations.find((r) => r.skuId === s.skuId)!.lineIndex;
      const productId = cart.lines[lineIndex]!.productId;
      return { lineIndex, ...s, ...(productId !== undefined ? { productId } : {}) };
    }),
  };
}

/** Why each line went where it went, with the warehouses its stock objects actually allocated. */
export function explainAllocation(cart: PreparedCart, held: Held): RoutingExplanation {
  const vendorOf = new Map(held.skuRows.map((s) => [s.skuId, s.vendorId]));
  const actual = new Map<number, Allocation[]>();
  for (const r of held.plan.reservations) {
    const vendorId = vendorOf.get(r.skuId)!;
    actual.set(r.lineIndex, [
      ...(actual.get(r.lineIndex) ?? []),
      ...(held.allocations.get(r.skuId) ?? []).map((u) => ({
        skuId: r.skuId,
        vendorId,
        warehouseId: u.warehouseId,
        qty: u.qty,
      })),
    ]);
  }
  return explain(held.plan, cart.model.weights, actual);
}
