import type { Db, Statement } from "../db/client";
import { issueNumberedCreditNote, ledgerStateOf, postJournal, type SubOrderTerms } from "../db/ledger";
import type { OrderAggregate, SubOrderRow } from "../db/orders";
import type { CreditNoteRow } from "../db/payments";
import type { SeenSubOrder } from "../db/reassignment";
import { financialYearOf } from "../domain/financial-year";
import type { Journal } from "../domain/ledger";
import {
  capturePosting,
  emptyMoney,
  type ReassignmentPosting,
  type RefundPart,
  reassignmentPosting,
  refundPosting,
  type SubOrderMoney,
  splitRefund,
  subOrderMoney,
} from "../domain/ledger-postings";
import { config } from "../platform/config";

const termsOf = (s: Pick<SubOrderRow, "id" | "vendorId" | "commissionBps">): SubOrderTerms => ({
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
  subOrderIds: readonly string[];
  /** A return gives back goods only; a cancel or a whole refund gives back goods, then shipping. */
  goodsOnly: boolean;
  /**
   * A return's share of its sub-order's reassignment adjustment (the units returned × each line's
   * difference per unit), given back with its goods; with `goodsOnly` only.
   */
  adjustmentMinor?: number;
};

/**
 * The one posting of every refund (a cancelled sub-order's, a return's, a whole order's), for the
 * batch that records the refund; keyed by the refund id, so a replayed refund posts nothing, and
 * one already posted (two retries racing) is not computed again. `captured` is the capture the same
 * batch posts (a late payment refunded at once). Sub-orders captured before the ledger existed have
 * no money in it and post nothing. Also answers each sub-order's terms, read in the same query.
 */
export async function refundPostings(
  db: Db,
  r: RefundToPost,
  captured?: Journal,
): Promise<{ statements: Statement[]; terms: Map<string, SubOrderTerms> }> {
  const state = await ledgerStateOf(db, r.subOrderIds, { kind: "refund", sourceId: r.refundId });
  const money = captured
    ? new Map([...state.terms.values()].map((t) => [t.subOrderId, subOrderMoney(t, captured.entries)]))
    : state.money;
  const held: SubOrderMoney[] = r.subOrderIds.flatMap((id) => money.get(id) ?? []);
  if (state.posted || held.length === 0 || r.amountMinor <= 0) return { statements: [], terms: state.terms };
  const parts: RefundPart[] = r.goodsOnly
    ? [
        {
          subOrderId: held[0]!.subOrderId,
          goodsMinor: r.amountMinor,
          shippingMinor: 0,
          adjustmentMinor: r.adjustmentMinor ?? 0,
        },
      ]
    : splitRefund(held, r.amountMinor);
  const head = { currency: r.currency, at: r.at, orderId: r.orderId, paymentId: r.paymentId, refundId: r.refundId };
  return { statements: postJournal(db, refundPosting(head, held, parts)), terms: state.terms };
}

/**
 * A credit note with its number: gap-free per vendor and financial year (the marketplace's, see
 * FINANCIAL_YEAR_START_MONTH and MARKETPLACE_UTC_OFFSET_MINUTES in wrangler.toml), assigned in the batch that issues the note.
 */
export function issueCreditNote(env: Env, db: Db, row: CreditNoteRow & { vendorId: string }): Statement[] {
  const financialYear = financialYearOf(new Date(row.createdAt), config(env).financialYear);
  return issueNumberedCreditNote(db, { ...row, financialYear });
}

/** A reassignment's journal (null: nothing to post), or why the ledger is not the one the move was read against. */
export type ReassignmentLedger =
  | { ok: true; journal: Journal | null }
  /** A sub-order the reassignment read is now in `status` (null: gone). */
  | { ok: false; code: "STATUS_CHANGED"; subOrderId: string; status: string | null }
  | Extract<ReassignmentPosting, { ok: false }>;

/**
 * A reassignment's journal: the goods it moved (at the shopper's price) and, when it emptied the
 * source, its shipping go from the source's vendor to the target's, whose own offer price is owed
 * (the price difference is the platform's reassignment cost); fees are recomputed on both. Null
 * when the source holds no money in the ledger (not captured yet: the capture will post the order
 * as it then stands). Rows are the sub-orders as read before the move and as written after it;
 * `seen` is each existing one's status as the reassignment read it.
 *
 * The money is read with the statuses in one query, and is only the money of the move if they are
 * still the statuses seen: a cancel and its refund can land after the reassignment read the source,
 * and its goods are then gone. That is a conflict (the claim of the move's batch, guarded on the
 * same statuses, refuses it too), answered as a value like a posting the ledger cannot take.
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
    /** The source's adjustment the moved units carried (units reassigned before). */
    sourceAdjustmentMinor: number;
    seen: readonly SeenSubOrder[];
  },
): Promise<ReassignmentLedger> {
  const source = termsOf(move.source);
  const target = termsOf(move.target);
  const ids = [source.subOrderId, target.subOrderId, ...move.seen.map((s) => s.id)];
  const { money, statuses } = await ledgerStateOf(db, ids);
  const moved = move.seen.find((s) => statuses.get(s.id) !== s.status);
  if (moved) return { ok: false, code: "STATUS_CHANGED", subOrderId: moved.id, status: statuses.get(moved.id) ?? null };
  const from = money.get(source.subOrderId);
  if (!from) return { ok: true, journal: null };
  const same = source.subOrderId === target.subOrderId;
  // A revived or merged target is re-priced at its vendor's current terms: the fee rule recomputes on them.
  const into = { ...(money.get(target.subOrderId) ?? emptyMoney(target)), commissionBps: target.commissionBps };
  const posting = reassignmentPosting(
    { currency: move.currency, at: move.at, orderId: move.orderId, reassignmentId: move.reassignmentId },
    {
      source: from,
      target: into,
      goodsMinor: same ? 0 : move.sourceBefore.subtotalMinor - move.source.subtotalMinor,
      shippingMinor: same ? 0 : move.sourceBefore.shippingMinor - move.source.shippingMinor,
      priceDifferenceMinor: move.priceDifferenceMinor,
      sourceAdjustmentMinor: same ? 0 : move.sourceAdjustmentMinor,
    },
  );
  return posting.ok ? { ok: true, journal: posting.journal } : posting;
}
