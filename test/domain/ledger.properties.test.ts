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

/** What happens after the capture, in order; fractions pick amounts out of what is left. */
type Op =
  | { kind: "return"; sub: number; fraction: number }
  | { kind: "cancel"; sub: number }
  | { kind: "refund_all" }
  | { kind: "reassign"; from: number; to: number; fraction: number; premiumBps: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("return" as const),
    sub: fc.nat(4),
    fraction: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  fc.record({ kind: fc.constant("cancel" as const), sub: fc.nat(4) }),
  fc.record({ kind: fc.constant("refund_all" as const) }),
  fc.record({
    kind: fc.constant("reassign" as const),
    from: fc.nat(4),
    to: fc.nat(4),
    fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    premiumBps: fc.integer({ min: -5_000, max: 5_000 }),
  }),
);

/** The model: what each sub-order should hold, computed without the ledger. */
type Model = { goods: number; shipping: number; adjustment: number; refunded: number; cancelled: boolean };

function run(cart: Sub[], ops: Op[]) {
  const journals: Journal[] = [capturePosting({ ...head, paymentId: "pay_1" }, cart)];
  const model = new Map<string, Model>(
    cart.map((s) => [
      s.subOrderId,
      { goods: s.goodsMinor, shipping: s.shippingMinor, adjustment: 0, refunded: 0, cancelled: false },
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
      const r = Math.floor(m.goods * op.fraction);
      if (m.cancelled || r === 0) continue;
      // The returned units' share of a reassignment's adjustment (units × each line's difference).
      const share = Math.trunc(m.adjustment * op.fraction);
      journals.push(
        refundPosting(
          refundHead,
          [money(s)],
          [{ subOrderId: s.subOrderId, goodsMinor: r, shippingMinor: 0, adjustmentMinor: share }],
        ),
      );
      m.goods -= r;
      m.refunded += r;
      m.adjustment -= share;
      if (m.goods === 0) m.adjustment = 0;
    } else if (op.kind === "cancel" || op.kind === "refund_all") {
      const subs = op.kind === "cancel" ? [cart[op.sub % cart.length]!] : cart;
      const live = subs.filter((s) => !model.get(s.subOrderId)!.cancelled);
      const amount = live.reduce((n, s) => n + model.get(s.subOrderId)!.goods + model.get(s.subOrderId)!.shipping, 0);
      if (amount === 0) continue;
      const held = live.map(money);
      journals.push(refundPosting(refundHead, held, splitRefund(held, amount)));
      for (const s of live) {
        const m = model.get(s.subOrderId)!;
        m.refunded += m.goods + m.shipping;
        Object.assign(m, { goods: 0, shipping: 0, adjustment: 0, cancelled: true });
      }
    } else {
      const from = cart[op.from % cart.length]!;
      const to = cart[op.to % cart.length]!;
      const mf = model.get(from.subOrderId)!;
      const mt = model.get(to.subOrderId)!;
      const goods = Math.floor(mf.goods * op.fraction);
      if (from === to || mf.cancelled || mt.cancelled || goods === 0) continue;
      const emptied = goods === mf.goods;
      const shipping = emptied ? mf.shipping : 0;
      const premium = Math.trunc((goods * op.premiumBps) / 10_000);
      // The moved units' share of the source's adjustment (reassigned before) goes with them.
      const carried = emptied ? mf.adjustment : Math.trunc(mf.adjustment * op.fraction);
      const posted = reassignmentPosting(
        { ...head, reassignmentId: `ra_${journals.length}` },
        {
          source: money(from),
          target: money(to),
          goodsMinor: goods,
          shippingMinor: shipping,
          priceDifferenceMinor: premium,
          sourceAdjustmentMinor: carried,
        },
      );
      if (!posted.ok) throw new Error(`a move within what the source sells was refused: ${JSON.stringify(posted)}`);
      journals.push(posted.journal);
      mf.goods -= goods;
      mf.shipping -= shipping;
      mf.adjustment -= carried;
      if (mf.goods === 0) {
        mf.adjustment = 0;
        mf.cancelled = true;
      }
      mt.goods += goods;
      mt.shipping += shipping;
      mt.adjustment += premium + carried;
    }
  }
  return { journals, entries: entries(), model, money };
}

const bySub = (entries: readonly LedgerEntry[], subOrderId: string) =>
  entries.filter((e) => e.subOrderId === subOrderId);

describe("ledger posting rules over random carts, refunds, returns, cancellations and reassignments", () => {
  it("balances every journal and accounts for every captured minor unit exactly once", () => {
    fc.assert(
      fc.property(cartArb, fc.array(opArb, { maxLength: 12 }), (cart, ops) => {
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
          expect(0 - balanceOf(mine, "platform_fees")).toBe(basisPointsOf(m.goods, s.commissionBps));
          expect(0 - balanceOf(mine, "vendor_payable")).toBe(
            m.goods + m.shipping - basisPointsOf(m.goods, s.commissionBps) + m.adjustment,
          );
        }
      }),
      { numRuns: 400 },
    );
  });

  it("takes the parent's fee as the sum of its sub-orders' fees, each on its own goods, never on the parent total", () => {
    fc.assert(
      fc.property(cartArb, fc.array(opArb, { maxLength: 12 }), (cart, ops) => {
        const { entries, model } = run(cart, ops);
        const perSub = cart.map((s) => 0 - balanceOf(bySub(entries, s.subOrderId), "platform_fees"));
        expect(0 - balanceOf(entries, "platform_fees")).toBe(perSub.reduce((n, f) => n + f, 0));
        cart.forEach((s, i) => {
          expect(perSub[i]).toBe(basisPointsOf(model.get(s.subOrderId)!.goods, s.commissionBps));
        });
      }),
      { numRuns: 300 },
    );
  });

  it("owes nothing for a cancelled sub-order, so no transfer can pay one, and refuses a transfer of nothing", () => {
    fc.assert(
      fc.property(cartArb, fc.array(opArb, { maxLength: 12 }), (cart, ops) => {
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

  it("gives back no more of a reassignment's adjustment than the sub-order holds, and never turns it the other way", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.integer({ min: -2_000_000, max: 2_000_000 }),
        (held, wanted) => {
          const given = adjustmentShare(held, wanted);
          expect(Math.sign(given) * Math.sign(held)).not.toBe(-1);
          expect(Math.abs(given)).toBeLessThanOrEqual(Math.abs(held));
          if (Math.sign(wanted) === Math.sign(held) && Math.abs(wanted) <= Math.abs(held)) expect(given).toBe(wanted);
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
            [{ subOrderId: "sub_0", goodsMinor: 50_000, shippingMinor: 0, adjustmentMinor: wanted }],
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
