import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { balanceOf, type Journal, type LedgerEntry } from "../../src/domain/ledger";
import {
  carryForwardPosting,
  transferConfirmedPosting,
  transferPendingPosting,
  transferReversedPosting,
} from "../../src/domain/ledger-payouts";
import {
  adjustmentShare,
  capturePosting,
  reassignmentPosting,
  refundPosting,
  type SubOrderMoney,
  splitRefund,
  subOrderMoney,
  vendorNet,
} from "../../src/domain/ledger-postings";
import { basisPointsOf } from "../../src/domain/money";

const head = { currency: "INR", at: "2026-11-27T05:00:00Z", orderId: "ord_1" };

type Sub = { subOrderId: string; vendorId: string; commissionBps: number; goodsMinor: number; shippingMinor: number };

/** A cart split into 1-5 sub-orders, each with its own vendor, fee rate, goods and shipping. */
const cartArb: fc.Arbitrary<Sub[]> = fc
  .array(
    fc.record({
      commissionBps: fc.integer({ min: 0, max: 10_000 }),
      goodsMinor: fc.integer({ min: 1, max: 50_000_000 }),
      shippingMinor: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1_000_000 })),
    }),
    { minLength: 1, maxLength: 5 },
  )
  .map((subs) => subs.map((s, i) => ({ ...s, subOrderId: `sub_${i}`, vendorId: `ven_${i}` })));

/**
 * What happens after the capture, in order; `line` picks one of the sub-order's lines and the
 * fraction an amount out of what is left of it. A reassignment puts the moved units on the target's
 * new line at an offer `offerBps` above (or below) the shopper's price, so one sub-order comes to hold
 * lines on dearer and cheaper offers at once.
 */
type Op =
  | { kind: "return"; sub: number; line: number; fraction: number }
  | { kind: "cancel"; sub: number }
  | { kind: "refund_all" }
  | { kind: "reassign"; from: number; to: number; line: number; fraction: number; offerBps: number };

/** A fraction in thousandths, spread evenly (a double clusters at 0 and 1, where little happens). */
const fractionArb = fc.integer({ min: 0, max: 1_000 }).map((n) => n / 1_000);

/** Moves and returns weigh most, so sub-orders come to hold several lines before a cancel ends them. */
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("return" as const),
      sub: fc.nat(4),
      line: fc.nat(7),
      fraction: fractionArb,
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant("cancel" as const), sub: fc.nat(4) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("refund_all" as const) }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("reassign" as const),
      from: fc.nat(4),
      to: fc.nat(4),
      line: fc.nat(7),
      fraction: fractionArb,
      offerBps: fc.integer({ min: -5_000, max: 5_000 }),
    }),
    weight: 4,
  },
);

/**
 * Half the runs start by moving two parts of the first sub-order to the second, one to a dearer
 * offer and one to a cheaper, so the second holds lines of both signs before anything else happens.
 */
const opsArb: fc.Arbitrary<Op[]> = fc
  .tuple(
    fc.oneof(
      fc.constant([]),
      fc
        .tuple(fractionArb, fc.integer({ min: 1, max: 5_000 }), fractionArb, fc.integer({ min: -5_000, max: -1 }))
        .map(([f1, dearer, f2, cheaper]): Op[] => [
          { kind: "reassign", from: 0, to: 1, line: 0, fraction: f1, offerBps: dearer },
          { kind: "reassign", from: 0, to: 1, line: 0, fraction: f2, offerBps: cheaper },
        ]),
    ),
    fc.array(opArb, { maxLength: 12 }),
  )
  .map(([mixed, rest]) => [...mixed, ...rest]);

/**
 * The model: what each sub-order should hold, computed without the ledger. Each line keeps its goods
 * at the shopper's price and its own reassignment difference (offer − shopper's price, of either sign).
 */
type Line = { goods: number; adjustment: number };
type Model = { lines: Line[]; shipping: number; refunded: number; cancelled: boolean };
const goodsOf = (m: Model) => m.lines.reduce((n, l) => n + l.goods, 0);
const adjustmentOf = (m: Model) => m.lines.reduce((n, l) => n + l.adjustment, 0);

function run(cart: Sub[], ops: Op[]) {
  const journals: Journal[] = [capturePosting({ ...head, paymentId: "pay_1" }, cart)];
  const model = new Map<string, Model>(
    cart.map((s) => [
      s.subOrderId,
      { lines: [{ goods: s.goodsMinor, adjustment: 0 }], shipping: s.shippingMinor, refunded: 0, cancelled: false },
    ]),
  );
  const entries = () => journals.flatMap((j) => j.entries);
  const money = (s: Sub): SubOrderMoney => subOrderMoney(s, entries());
  let refundNo = 0;
  for (const op of ops) {
    const refundHead = { ...head, paymentId: "pay_1", refundId: `rf_${++refundNo}` };
    if (op.kind === "return") {
      const s = cart[op.sub % cart.length]!;
      const m = model.get(s.subOrderId)!;
      if (m.cancelled) continue;
      const line = m.lines[op.line % m.lines.length]!;
      const r = Math.floor(line.goods * op.fraction);
      if (r === 0) continue;
      // The returned units carry their own line's difference (units × its difference per unit),
      // whatever the sign of the sub-order's total.
      const share = Math.trunc(line.adjustment * op.fraction);
      journals.push(
        refundPosting(
          refundHead,
          [money(s)],
          [{ subOrderId: s.subOrderId, goodsMinor: r, shippingMinor: 0, adjustmentMinor: share }],
        ),
      );
      line.goods -= r;
      line.adjustment -= share;
      m.refunded += r;
    } else if (op.kind === "cancel" || op.kind === "refund_all") {
      const subs = op.kind === "cancel" ? [cart[op.sub % cart.length]!] : cart;
      const live = subs.filter((s) => !model.get(s.subOrderId)!.cancelled);
      const amount = live.reduce(
        (n, s) => n + goodsOf(model.get(s.subOrderId)!) + model.get(s.subOrderId)!.shipping,
        0,
      );
      if (amount === 0) continue;
      const held = live.map(money);
      journals.push(refundPosting(refundHead, held, splitRefund(held, amount)));
      for (const s of live) {
        const m = model.get(s.subOrderId)!;
        m.refunded += goodsOf(m) + m.shipping;
        Object.assign(m, { lines: [], shipping: 0, cancelled: true });
      }
    } else {
      const from = cart[op.from % cart.length]!;
      const to = cart[op.to % cart.length]!;
      const mf = model.get(from.subOrderId)!;
      const mt = model.get(to.subOrderId)!;
      if (from === to || mf.cancelled || mt.cancelled) continue;
      const line = mf.lines[op.line % mf.lines.length]!;
      const goods = Math.floor(line.goods * op.fraction);
      if (goods === 0) continue;
      const emptied = goods === goodsOf(mf);
      const shipping = emptied ? mf.shipping : 0;
      // The moved units take their own line's difference (reassigned before) along; on the target
      // they carry the new offer's difference to the shopper's price.
      const carried = Math.trunc(line.adjustment * op.fraction);
      const offered = Math.trunc((goods * op.offerBps) / 10_000);
      const posted = reassignmentPosting(
        { ...head, reassignmentId: `ra_${journals.length}` },
        {
          source: money(from),
          target: money(to),
          goodsMinor: goods,
          shippingMinor: shipping,
          priceDifferenceMinor: offered - carried,
          sourceAdjustmentMinor: carried,
        },
      );
      if (!posted.ok) throw new Error(`a move within what the source sells was refused: ${JSON.stringify(posted)}`);
      journals.push(posted.journal);
      line.goods -= goods;
      line.adjustment -= carried;
      mf.shipping -= shipping;
      if (emptied) mf.cancelled = true;
      mt.lines.push({ goods, adjustment: offered });
      mt.shipping += shipping;
    }
  }
  return { journals, entries: entries(), model, money };
}

const bySub = (entries: readonly LedgerEntry[], subOrderId: string) =>
  entries.filter((e) => e.subOrderId === subOrderId);

describe("ledger posting rules over random carts, refunds, returns, cancellations and reassignments", () => {
  it("balances every journal and accounts for every captured minor unit exactly once", () => {
    fc.assert(
      fc.property(cartArb, opsArb, (cart, ops) => {
        const { journals, entries, model } = run(cart, ops);
        for (const j of journals) expect(j.entries.reduce((n, e) => n + e.amountMinor, 0)).toBe(0);
        const captured = cart.reduce((n, s) => n + s.goodsMinor + s.shippingMinor, 0);
        expect(balanceOf(entries, "shopper_payments")).toBe(captured);
        // Captured = what vendors are owed + the platform's fees + refunds − what reassignments cost the platform.
        const owed = 0 - balanceOf(entries, "vendor_payable");
        const fees = 0 - balanceOf(entries, "platform_fees");
        const refunds = 0 - balanceOf(entries, "refunds");
        const cost = balanceOf(entries, "platform_reassignment_cost");
        expect(owed + fees + refunds - cost).toBe(captured);
        // Each sub-order's figures are exactly the model's.
        for (const s of cart) {
          const m = model.get(s.subOrderId)!;
          const mine = bySub(entries, s.subOrderId);
          expect(0 - balanceOf(mine, "refunds")).toBe(m.refunded);
          const goods = goodsOf(m);
          expect(0 - balanceOf(mine, "platform_fees")).toBe(basisPointsOf(goods, s.commissionBps));
          expect(0 - balanceOf(mine, "vendor_payable")).toBe(
            goods + m.shipping - basisPointsOf(goods, s.commissionBps) + adjustmentOf(m),
          );
          // The platform's reassignment cost of a sub-order is what its lines' differences still cost.
          expect(balanceOf(mine, "platform_reassignment_cost")).toBe(adjustmentOf(m));
        }
      }),
      { numRuns: 400 },
    );
  });

  it("takes the parent's fee as the sum of its sub-orders' fees, each on its own goods, never on the parent total", () => {
    fc.assert(
      fc.property(cartArb, opsArb, (cart, ops) => {
        const { entries, model } = run(cart, ops);
        const perSub = cart.map((s) => 0 - balanceOf(bySub(entries, s.subOrderId), "platform_fees"));
        expect(0 - balanceOf(entries, "platform_fees")).toBe(perSub.reduce((n, f) => n + f, 0));
        cart.forEach((s, i) => {
          expect(perSub[i]).toBe(basisPointsOf(goodsOf(model.get(s.subOrderId)!), s.commissionBps));
        });
      }),
      { numRuns: 300 },
    );
  });

  it("owes nothing for a cancelled sub-order, so no transfer can pay one, and refuses a transfer of nothing", () => {
    fc.assert(
      fc.property(cartArb, opsArb, (cart, ops) => {
        const { model, money } = run(cart, ops);
        for (const s of cart) {
          const m = money(s);
          if (model.get(s.subOrderId)!.cancelled) {
            expect(vendorNet(m)).toBe(0);
            expect(m.feeMinor).toBe(0);
            const transfer = {
              ...head,
              subOrderId: s.subOrderId,
              vendorId: s.vendorId,
              transferId: `tr_${s.subOrderId}`,
            };
            expect(() =>
              transferPendingPosting(transfer, { payableMinor: vendorNet(m), carryForwardMinor: 0 }),
            ).toThrow(RangeError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("pays a delivered sub-order's net once, then nets a refund after the transfer by reversal or carry-forward", () => {
    fc.assert(
      fc.property(cartArb, fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), (cart, fraction, reversed) => {
        const s = cart[0]!;
        const journals: Journal[] = [capturePosting({ ...head, paymentId: "pay_1" }, cart)];
        const entries = () => journals.flatMap((j) => j.entries);
        const net = vendorNet(subOrderMoney(s, entries()));
        fc.pre(net > 0);
        const transfer = { ...head, subOrderId: s.subOrderId, vendorId: s.vendorId, transferId: "tr_1" };
        const amounts = { payableMinor: net, carryForwardMinor: 0 };
        journals.push(transferPendingPosting(transfer, amounts), transferConfirmedPosting(transfer, amounts));
        expect(0 - balanceOf(entries(), "vendor_paid", s.vendorId)).toBe(net);
        expect(0 - balanceOf(bySub(entries(), s.subOrderId), "vendor_payable")).toBe(0);
        const r = Math.floor(s.goodsMinor * fraction);
        fc.pre(r > 0);
        const before = subOrderMoney(s, entries());
        journals.push(
          refundPosting(
            { ...head, paymentId: "pay_1", refundId: "rf_1" },
            [before],
            [{ subOrderId: s.subOrderId, goodsMinor: r, shippingMinor: 0 }],
          ),
        );
        const debt = balanceOf(bySub(entries(), s.subOrderId), "vendor_payable");
        expect(debt).toBe(r - (before.feeMinor - basisPointsOf(s.goodsMinor - r, s.commissionBps)));
        fc.pre(debt > 0);
        journals.push(
          reversed
            ? transferReversedPosting({ ...transfer, reversalId: "trr_1" }, debt)
            : carryForwardPosting(
                { ...head, subOrderId: s.subOrderId, vendorId: s.vendorId, sourceId: "rf_1", refundId: "rf_1" },
                debt,
              ),
        );
        expect(balanceOf(bySub(entries(), s.subOrderId), "vendor_payable")).toBe(0);
        const kept =
          0 -
          balanceOf(entries(), "vendor_paid", s.vendorId) -
          balanceOf(entries(), "vendor_carry_forward", s.vendorId);
        expect(kept).toBe(vendorNet(subOrderMoney(s, entries())));
        expect(entries().reduce((n, e) => n + e.amountMinor, 0)).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it("answers a reassignment of more than its source still sells (a refund landed first) as a value, posting nothing", () => {
    fc.assert(
      fc.property(
        cartArb.filter((c) => c.length >= 2),
        fc.boolean(),
        fc.integer({ min: -5_000, max: 5_000 }),
        (cart, refundedFirst, premiumBps) => {
          const [from, to] = [cart[0]!, cart[1]!];
          const journals: Journal[] = [capturePosting({ ...head, paymentId: "pay_1" }, cart)];
          const entries = () => journals.flatMap((j) => j.entries);
          const money = (s: Sub) => subOrderMoney(s, entries());
          // The move was planned against the whole source: its cancel's refund took all of it first, or
          // the move takes one unit more than the source ever sold.
          const goods = refundedFirst ? from.goodsMinor : from.goodsMinor + 1;
          if (refundedFirst) {
            const held = [money(from)];
            const refund = { ...head, paymentId: "pay_1", refundId: "rf_1" };
            journals.push(refundPosting(refund, held, splitRefund(held, from.goodsMinor + from.shippingMinor)));
          }
          const source = money(from);
          const posted = reassignmentPosting(
            { ...head, reassignmentId: "ra_1" },
            {
              source,
              target: money(to),
              goodsMinor: goods,
              shippingMinor: from.shippingMinor,
              priceDifferenceMinor: Math.trunc((goods * premiumBps) / 10_000),
            },
          );
          expect(posted).toEqual({
            ok: false,
            code: "SOURCE_SELLS_LESS",
            subOrderId: from.subOrderId,
            goodsMinor: source.goodsMinor,
            shippingMinor: source.shippingMinor,
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("nets a carried debt off the vendor's next transfer", () => {
    const j = transferPendingPosting(
      { ...head, subOrderId: "sub_2", vendorId: "ven_1", transferId: "tr_2" },
      { payableMinor: 10_000, carryForwardMinor: 2_500 },
    );
    expect(balanceOf(j.entries, "vendor_transfer_pending", "ven_1")).toBe(-7_500);
    expect(balanceOf(j.entries, "vendor_carry_forward", "ven_1")).toBe(-2_500);
    expect(() =>
      transferPendingPosting(
        { ...head, subOrderId: "sub_2", vendorId: "ven_1", transferId: "tr_3" },
        { payableMinor: 1_000, carryForwardMinor: 1_000 },
      ),
    ).toThrow(RangeError);
  });

  it("gives back exactly the adjustment the leaving units carried, of either sign, bounded only by offer prices of zero", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -100_000, max: 1_000_000 }),
        fc.integer({ min: 1, max: 99_999 }),
        fc.integer({ min: -2_000_000, max: 2_000_000 }),
        (held, leaving, wanted) => {
          const kept = 100_000 - leaving;
          const given = adjustmentShare({ goodsMinor: 100_000, adjustmentMinor: held }, leaving, wanted);
          // No offer price is below zero: neither the units leaving nor those kept are worth less than nothing.
          expect(given).toBeGreaterThanOrEqual(-leaving);
          expect(held - given).toBeGreaterThanOrEqual(-kept);
          // Within that, the lines' share whole, whatever the sign of the sub-order's total: with a
          // dearer and a cheaper line either may leave, and the total may turn the other way.
          if (wanted >= -leaving && held - wanted >= -kept) expect(given).toBe(wanted);
          // Posted: the vendor keeps what is left of the adjustment, and every journal balances.
          const s = {
            subOrderId: "sub_0",
            vendorId: "ven_0",
            commissionBps: 1_000,
            goodsMinor: 100_000,
            shippingMinor: 0,
          };
          const m = {
            ...subOrderMoney(s, capturePosting({ ...head, paymentId: "pay_1" }, [s]).entries),
            adjustmentMinor: held,
          };
          const j = refundPosting(
            { ...head, paymentId: "pay_1", refundId: "rf_1" },
            [m],
            [{ subOrderId: "sub_0", goodsMinor: leaving, shippingMinor: 0, adjustmentMinor: wanted }],
          );
          expect(j.entries.reduce((n, e) => n + e.amountMinor, 0)).toBe(0);
          expect(
            balanceOf(
              j.entries.filter((e) => e.component === "adjustment"),
              "vendor_payable",
            ),
          ).toBe(given);
        },
      ),
      { numRuns: 300 },
    );
  });
});
