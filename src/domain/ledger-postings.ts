import { type Journal, journal, type LedgerEntry } from "./ledger";
import { basisPointsOf } from "./money";

/**
 * The posting rules of money after the payment: which entries each business change writes.
 *
 * The fee rule: a sub-order's fee is always `basisPointsOf(goods it still sells, its bps)`. Every
 * change of its goods (capture, refund, return, reassignment) recomputes the fee on the goods that
 * remain and posts only the difference, so the fees posted for a sub-order always sum to the fee on
 * what it finally sold (never rounding drift), and the parent's fee is the sum of its sub-orders'.
 * Shipping carries no fee; a return gives back goods, never shipping.
 */

/** What the ledger says a sub-order sells now; derived from its entries by `subOrderMoney`. */
export type SubOrderMoney = {
  subOrderId: string;
  vendorId: string;
  commissionBps: number;
  /** Goods at the shopper's price still sold. */
  goodsMinor: number;
  shippingMinor: number;
  /** The platform's fee taken now. */
  feeMinor: number;
  /** What a reassigned vendor is owed above (or below) the shopper's price. */
  adjustmentMinor: number;
};

export type Change = { goodsMinor: number; shippingMinor: number; adjustmentMinor: number };

/** A sub-order's money before anything was captured. */
export function emptyMoney(s: { subOrderId: string; vendorId: string; commissionBps: number }): SubOrderMoney {
  return { ...s, goodsMinor: 0, shippingMinor: 0, feeMinor: 0, adjustmentMinor: 0 };
}

/** Derives a sub-order's money from its own ledger entries. */
export function subOrderMoney(
  s: { subOrderId: string; vendorId: string; commissionBps: number },
  entries: readonly LedgerEntry[],
): SubOrderMoney {
  const money = emptyMoney(s);
  for (const e of entries) {
    if (e.subOrderId !== s.subOrderId) continue;
    if (e.account === "platform_fees" && e.component === "fee") money.feeMinor -= e.amountMinor;
    if (e.account !== "vendor_payable") continue;
    if (e.component === "goods") money.goodsMinor -= e.amountMinor;
    if (e.component === "shipping") money.shippingMinor -= e.amountMinor;
    if (e.component === "adjustment") money.adjustmentMinor -= e.amountMinor;
  }
  return money;
}

/** What the vendor is owed for a sub-order's money as it stands (before transfers and refunds after them). */
export function vendorNet(m: SubOrderMoney): number {
  return m.goodsMinor + m.shippingMinor - m.feeMinor + m.adjustmentMinor;
}

/**
 * The reassignment adjustment that goods leaving a sub-order (`goodsMinor`, at the shopper's price)
 * take with them: what their own lines carried (`wantedMinor`: the units × each line's difference
 * per unit), whatever its sign. One sub-order can hold lines on dearer and cheaper offers at once,
 * so the sign and size of its total bound nothing about a part of it; clamping to them gave a
 * cheaper line back as nothing and a dearer one only up to the total. The one bound is that no offer
 * price is below zero: the units leaving carry at least −their goods, and those kept keep at least
 * −the goods kept, so a share the ledger never posted cannot leave a vendor owed less than nothing
 * at its offer prices for goods it still sells. With consistent lines neither bound is ever reached.
 */
export function adjustmentShare(
  m: Pick<SubOrderMoney, "goodsMinor" | "adjustmentMinor">,
  goodsMinor: number,
  wantedMinor: number,
): number {
  return Math.min(Math.max(wantedMinor, -goodsMinor), m.adjustmentMinor + m.goodsMinor - goodsMinor);
}

/**
 * The vendor's and the platform's side of a change in what a sub-order sells (positive: sells
 * more). The fee is recomputed on the goods that remain; the adjustment moves by `adjustmentMinor`
 * (the units that leave take their share of it, see `refundPosting`), and once no goods remain
 * any adjustment left goes back too, so nothing is owed for a sub-order that sells nothing. The
 * entries sum to −(goods + shipping + `adjustmentMinor` moved): the caller posts the counter side.
 */
export function resell(
  m: SubOrderMoney,
  d: Change,
): { entries: LedgerEntry[]; next: SubOrderMoney; adjustmentMinor: number } {
  const goods = m.goodsMinor + d.goodsMinor;
  const shipping = m.shippingMinor + d.shippingMinor;
  if (goods < 0 || shipping < 0) {
    throw new RangeError(`ledger: ${m.subOrderId} would sell ${goods} goods and ${shipping} shipping`);
  }
  const adjustment = goods === 0 ? 0 : m.adjustmentMinor + d.adjustmentMinor;
  const fee = basisPointsOf(goods, m.commissionBps);
  const v = (component: LedgerEntry["component"], amountMinor: number): LedgerEntry => ({
    account: "vendor_payable",
    vendorId: m.vendorId,
    subOrderId: m.subOrderId,
    component,
    amountMinor,
  });
  const entries: LedgerEntry[] = [
    v("goods", -d.goodsMinor),
    v("shipping", -d.shippingMinor),
    v("adjustment", -(adjustment - m.adjustmentMinor)),
    v("fee", fee - m.feeMinor),
    {
      account: "platform_fees",
      vendorId: null,
      subOrderId: m.subOrderId,
      component: "fee",
      amountMinor: m.feeMinor - fee,
    },
  ];
  return {
    entries,
    next: { ...m, goodsMinor: goods, shippingMinor: shipping, feeMinor: fee, adjustmentMinor: adjustment },
    adjustmentMinor: adjustment - m.adjustmentMinor,
  };
}

export type Head = { currency: string; at: string; orderId: string };

/**
 * Payment captured: per sub-order, the shopper's goods and shipping come in, the vendor is owed
 * goods + shipping − fee, the platform keeps the fee (on goods only).
 */
export function capturePosting(
  head: Head & { paymentId: string },
  subOrders: readonly {
    subOrderId: string;
    vendorId: string;
    commissionBps: number;
    goodsMinor: number;
    shippingMinor: number;
  }[],
): Journal {
  const entries = subOrders.flatMap((s) => {
    const { entries } = resell(emptyMoney(s), {
      goodsMinor: s.goodsMinor,
      shippingMinor: s.shippingMinor,
      adjustmentMinor: 0,
    });
    const paid = (component: "goods" | "shipping", amountMinor: number): LedgerEntry => ({
      account: "shopper_payments",
      vendorId: null,
      subOrderId: s.subOrderId,
      component,
      amountMinor,
    });
    return [paid("goods", s.goodsMinor), paid("shipping", s.shippingMinor), ...entries];
  });
  return journal({ kind: "payment_captured", sourceId: head.paymentId, ...head }, entries);
}

export type RefundPart = {
  subOrderId: string;
  goodsMinor: number;
  shippingMinor: number;
  /**
   * The share of the sub-order's reassignment adjustment the refunded goods carry, given back with
   * them (a return: the units returned × each line's difference per unit). Absent, 0: the
   * adjustment goes back only with the last of the goods.
   */
  adjustmentMinor?: number;
};

/**
 * Splits a refund of `amountMinor` over sub-orders in the order given: goods first, then shipping,
 * each up to what it still sells. Throws when the refund exceeds them all: the ledger and the
 * refund disagree, a bug to see rather than an amount to hide.
 */
export function splitRefund(money: readonly SubOrderMoney[], amountMinor: number): RefundPart[] {
  let left = amountMinor;
  const parts: RefundPart[] = [];
  for (const m of money) {
    const goods = Math.min(left, m.goodsMinor);
    const shipping = Math.min(left - goods, m.shippingMinor);
    left -= goods + shipping;
    if (goods + shipping > 0) parts.push({ subOrderId: m.subOrderId, goodsMinor: goods, shippingMinor: shipping });
  }
  if (left !== 0) throw new RangeError(`ledger: refund of ${amountMinor} exceeds what the sub-orders sell by ${left}`);
  return parts;
}

/**
 * A refund (every path: a cancelled sub-order, a whole-order or late-payment refund, a return): the
 * shopper gets `goods + shipping` back, the vendor's payable falls by them less the fee given back
 * under the fee rule and by the share of any reassignment adjustment the refunded goods carry (a
 * partial return of reassigned units), and a sub-order left with no goods hands back all of it.
 */
export function refundPosting(
  head: Head & { refundId: string; paymentId: string },
  money: readonly SubOrderMoney[],
  parts: readonly RefundPart[],
): Journal {
  const byId = new Map(money.map((m) => [m.subOrderId, m]));
  const entries = parts.flatMap((p) => {
    const m = byId.get(p.subOrderId);
    if (!m) throw new RangeError(`ledger: refund names ${p.subOrderId}, which has no money`);
    const adjustmentMinor = -adjustmentShare(m, p.goodsMinor, p.adjustmentMinor ?? 0);
    const r = resell(m, { goodsMinor: -p.goodsMinor, shippingMinor: -p.shippingMinor, adjustmentMinor });
    byId.set(p.subOrderId, r.next);
    const refunded: LedgerEntry = {
      account: "refunds",
      vendorId: null,
      subOrderId: p.subOrderId,
      component: "refund",
      amountMinor: -(p.goodsMinor + p.shippingMinor),
    };
    return [refunded, ...r.entries, reassignmentCost(p.subOrderId, r.adjustmentMinor)];
  });
  return journal({ kind: "refund", sourceId: head.refundId, ...head }, entries);
}

function reassignmentCost(subOrderId: string, amountMinor: number): LedgerEntry {
  return { account: "platform_reassignment_cost", vendorId: null, subOrderId, component: "adjustment", amountMinor };
}

export type ReassignmentPosting =
  | { ok: true; journal: Journal }
  /**
   * The source sells less than the move takes from it: the ledger is not the one the move was
   * planned against (a refund of the source landed first). A conflict to refuse, not a bug.
   */
  | { ok: false; code: "SOURCE_SELLS_LESS"; subOrderId: string; goodsMinor: number; shippingMinor: number };

/**
 * A reassignment moves goods (at the shopper's price) and, when it empties the source, its
 * shipping from one sub-order to another; the shopper's price is kept, the target vendor is owed its
 * own offer price. `sourceAdjustmentMinor` is the adjustment the moved units carried on the source
 * (units reassigned before): the source gives it back and the target takes it on, with
 * `priceDifferenceMinor` on top (the new offer − what the units were owed at before, negative for a
 * cheaper offer), the change in the platform's reassignment cost. Fees are recomputed on both sides.
 */
export function reassignmentPosting(
  head: Head & { reassignmentId: string },
  move: {
    source: SubOrderMoney;
    target: SubOrderMoney;
    goodsMinor: number;
    shippingMinor: number;
    priceDifferenceMinor: number;
    sourceAdjustmentMinor?: number;
  },
): ReassignmentPosting {
  const { source } = move;
  if (move.goodsMinor > source.goodsMinor || move.shippingMinor > source.shippingMinor) {
    const { subOrderId, goodsMinor, shippingMinor } = source;
    return { ok: false, code: "SOURCE_SELLS_LESS", subOrderId, goodsMinor, shippingMinor };
  }
  const carried = move.sourceAdjustmentMinor ?? 0;
  const out = {
    goodsMinor: -move.goodsMinor,
    shippingMinor: -move.shippingMinor,
    adjustmentMinor: -adjustmentShare(source, move.goodsMinor, carried),
  };
  const into = {
    goodsMinor: move.goodsMinor,
    shippingMinor: move.shippingMinor,
    adjustmentMinor: carried + move.priceDifferenceMinor,
  };
  if (move.source.subOrderId === move.target.subOrderId) {
    const r = resell(move.source, { goodsMinor: 0, shippingMinor: 0, adjustmentMinor: move.priceDifferenceMinor });
    const entries = [...r.entries, reassignmentCost(move.source.subOrderId, r.adjustmentMinor)];
    return { ok: true, journal: journal({ kind: "reassignment", sourceId: head.reassignmentId, ...head }, entries) };
  }
  const from = resell(move.source, out);
  const to = resell(move.target, into);
  const entries = [
    ...from.entries,
    reassignmentCost(move.source.subOrderId, from.adjustmentMinor),
    ...to.entries,
    reassignmentCost(move.target.subOrderId, to.adjustmentMinor),
  ];
  return { ok: true, journal: journal({ kind: "reassignment", sourceId: head.reassignmentId, ...head }, entries) };
}
