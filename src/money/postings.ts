import type { Db, Statement } from "../db/client";
import { numberCreditNote, postJournal, type SubOrderTerms, subOrderMoneyOf } from "../db/ledger";
import type { OrderAggregate, SubOrderRow } from "../db/orders";
import { type CreditNoteRow, insertCreditNote } from "../db/payments";
import { financialYearOf } from "../domain/financial-year";
import type { Journal } from "../domain/ledger";
import {
  capturePosting,
  emptyMoney,
  type RefundPart,
  reassignmentPosting,
  refundPosting,
  type SubOrderMoney,
  splitRefund,
  subOrderMoney,
} from "../domain/ledger-postings";
import { config } from "../platform/config";

export const termsOf = (s: Pick<SubOrderRow, "id" | "vendorId" | "commissionBps">): SubOrderTerms => ({
  subOrderId: s.id,
  vendorId: s.vendorId,
  commissionBps: s.commissionBps,
});

/** The capture of an order's payment: per sub-order its goods, shipping and fee as the order stands. */
export function captureJournal(agg: OrderAggregate, paymentId: string, at: string): Journal {
  return capturePosting(
    { currency: agg.order.currency, at, orderId: agg.order.id, paymentId },
    agg.subOrders.map((s) => ({ ...termsOf(s), goodsMinor: s.subtotalMinor, shippingMinor: s.shippingMinor })),
  );
}

export type RefundToPost = {
  refundId: string;
  paymentId: string;
  orderId: string;
  currency: string;
  amountMinor: number;
  at: string;
  /** The sub-orders it refunds, in the order the amount is split over them (goods first, then shipping). */
  subOrders: readonly SubOrderTerms[];
  /** A return gives back goods only; a cancel or a whole refund gives back goods, then shipping. */
  goodsOnly: boolean;
};

/**
 * The one posting of every refund (a cancelled sub-order's, a return's, a whole order's), for the
 * batch that records the refund; keyed by the refund id, so a replayed refund posts nothing.
 * `captured` is money the same batch captures (a late payment refunded at once); otherwise what the
 * ledger holds is read. Sub-orders captured before the ledger existed have no money in it and post
 * nothing.
 */
export async function refundPostings(db: Db, r: RefundToPost, captured?: Journal): Promise<Statement[]> {
  const money = captured
    ? new Map(r.subOrders.map((s) => [s.subOrderId, subOrderMoney(s, captured.entries)]))
    : await subOrderMoneyOf(db, r.subOrders);
  const held: SubOrderMoney[] = r.subOrders.flatMap((s) => money.get(s.subOrderId) ?? []);
  if (held.length === 0 || r.amountMinor <= 0) return [];
  const parts: RefundPart[] = r.goodsOnly
    ? [{ subOrderId: held[0]!.subOrderId, goodsMinor: r.amountMinor, shippingMinor: 0 }]
    : splitRefund(held, r.amountMinor);
  const head = { currency: r.currency, at: r.at, orderId: r.orderId, paymentId: r.paymentId, refundId: r.refundId };
  return postJournal(db, refundPosting(head, held, parts));
}

/**
 * A credit note with its number: gap-free per vendor and financial year (the marketplace's, see
 * FINANCIAL_YEAR_START_MONTH and MARKETPLACE_UTC_OFFSET_MINUTES in wrangler.toml), assigned in the batch that issues the note.
 */
export function issueCreditNote(env: Env, db: Db, row: CreditNoteRow & { vendorId: string }): Statement[] {
  const financialYear = financialYearOf(new Date(row.createdAt), config(env).financialYear);
  return [
    insertCreditNote(db, row),
    ...numberCreditNote(db, { creditNoteId: row.id, vendorId: row.vendorId, financialYear }),
  ];
}

/**
 * A reassignment's journal: the goods it moved (at the shopper's price) and, when it emptied the
 * source, its shipping go from the source's vendor to the target's, whose own offer price is owed
 * (the price difference is the platform's reassignment cost); fees are recomputed on both. Null
 * when the source holds no money in the ledger (not captured yet: the capture will post the order
 * as it then stands). Rows are the sub-orders as read before the move and as written after it.
 */
export async function reassignmentJournal(
  db: Db,
  move: {
    reassignmentId: string;
    orderId: string;
    currency: string;
    at: string;
    sourceBefore: SubOrderRow;
    source: SubOrderRow;
    target: SubOrderRow;
    priceDifferenceMinor: number;
  },
): Promise<Journal | null> {
  const source = termsOf(move.source);
  const target = termsOf(move.target);
  const money = await subOrderMoneyOf(db, [source, target]);
  const from = money.get(source.subOrderId);
  if (!from) return null;
  const same = source.subOrderId === target.subOrderId;
  // A revived or merged target is re-priced at its vendor's current terms: the fee rule recomputes on them.
  const into = { ...(money.get(target.subOrderId) ?? emptyMoney(target)), commissionBps: target.commissionBps };
  return reassignmentPosting(
    { currency: move.currency, at: move.at, orderId: move.orderId, reassignmentId: move.reassignmentId },
    {
      source: from,
      target: into,
      goodsMinor: same ? 0 : move.sourceBefore.subtotalMinor - move.source.subtotalMinor,
      shippingMinor: same ? 0 : move.sourceBefore.shippingMinor - move.source.shippingMinor,
      priceDifferenceMinor: move.priceDifferenceMinor,
    },
  );
}
