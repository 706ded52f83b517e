/**
 * The double-entry ledger's pure shape: accounts, journals and the rule that every journal balances.
 * Amounts are signed integer minor units, debit positive and credit negative, so a journal balances
 * when its entries sum to zero, and an account's balance is the sum of its entries (nothing else
 * stores a balance). One journal holds one currency: each order, payment and transfer has one.
 */

export const LEDGER_ACCOUNTS = [
  /** What shoppers paid the platform (debit): the money captured. */
  "shopper_payments",
  /** The platform's commission (credit). */
  "platform_fees",
  /** What the platform owes a vendor for its sub-orders, not yet transferred (credit). */
  "vendor_payable",
  /** A transfer written before the provider answered (credit), moved to vendor_paid once it did. */
  "vendor_transfer_pending",
  /** What was transferred to a vendor (credit); a reversal takes back from it. */
  "vendor_paid",
  /** What was refunded to shoppers (credit). */
  "refunds",
  /** What the platform paid a reassigned vendor above the shopper's price (debit; a cheaper offer credits). */
  "platform_reassignment_cost",
  /** The payment provider's processing fees, the platform's cost (debit). */
  "provider_fees",
  /** A vendor's debt after a refund the provider would not reverse (debit), netted off its next transfer. */
  "vendor_carry_forward",
] as const;
export type LedgerAccount = (typeof LEDGER_ACCOUNTS)[number];

/** Accounts kept per vendor: their entries name the vendor. */
export const VENDOR_ACCOUNTS: ReadonlySet<LedgerAccount> = new Set([
  "vendor_payable",
  "vendor_transfer_pending",
  "vendor_paid",
  "vendor_carry_forward",
]);

/** What part of a sub-order's money an entry moves; the earnings views and the fee rule read it. */
export const LEDGER_COMPONENTS = [
  "goods",
  "shipping",
  "fee",
  /** A reassigned vendor's offer price above (or below) the shopper's price. */
  "adjustment",
  "refund",
  "transfer",
  "reversal",
  "carry_forward",
  "provider_fee",
] as const;
export type LedgerComponent = (typeof LEDGER_COMPONENTS)[number];

export const JOURNAL_KINDS = [
  "payment_captured",
  "refund",
  "reassignment",
  "transfer_pending",
  "transfer_confirmed",
  "transfer_failed",
  "transfer_reversed",
  "carry_forward",
  "provider_fee",
] as const;
export type JournalKind = (typeof JOURNAL_KINDS)[number];

export type LedgerEntry = {
  account: LedgerAccount;
  /** Set exactly for the per-vendor accounts. */
  vendorId: string | null;
  subOrderId: string | null;
  component: LedgerComponent;
  /** Debit positive, credit negative. */
  amountMinor: number;
};

/**
 * One business event's entries. (kind, sourceId) is its natural key: posting the same pair again
 * writes nothing, so a replayed webhook, a retried refund or a rerun job posts once.
 */
export type Journal = {
  kind: JournalKind;
  sourceId: string;
  currency: string;
  at: string;
  orderId: string | null;
  paymentId: string | null;
  refundId: string | null;
  transferId: string | null;
  reassignmentId: string | null;
  entries: LedgerEntry[];
};

export type JournalRefs = Partial<
  Pick<Journal, "orderId" | "paymentId" | "refundId" | "transferId" | "reassignmentId">
>;

/** The journal's id: its natural key, so the id itself refuses a second posting. */
export function journalId(kind: JournalKind, sourceId: string): string {
  return `${kind}:${sourceId}`;
}

/**
 * A journal from its entries, refusing (as a bug, thrown) one that does not balance, moves a
 * fractional or unsafe amount, names no order, sub-order, payment, refund or transfer, or puts a
 * vendor on an account that is not per vendor (or leaves one off). Zero entries are dropped.
 */
export function journal(
  head: { kind: JournalKind; sourceId: string; currency: string; at: string } & JournalRefs,
  entries: readonly LedgerEntry[],
): Journal {
  const kept = entries.filter((e) => e.amountMinor !== 0);
  let sum = 0;
  for (const e of kept) {
    if (!Number.isSafeInteger(e.amountMinor)) throw new RangeError(`ledger: ${e.amountMinor} is not a minor amount`);
    if (VENDOR_ACCOUNTS.has(e.account) !== (e.vendorId !== null)) {
      throw new RangeError(`ledger: ${e.account} ${e.vendorId === null ? "needs" : "takes no"} vendor`);
    }
    sum += e.amountMinor;
  }
  if (sum !== 0) throw new RangeError(`ledger: ${head.kind}:${head.sourceId} is off balance by ${sum}`);
  const j: Journal = {
    kind: head.kind,
    sourceId: head.sourceId,
    currency: head.currency,
    at: head.at,
    orderId: head.orderId ?? null,
    paymentId: head.paymentId ?? null,
    refundId: head.refundId ?? null,
    transferId: head.transferId ?? null,
    reassignmentId: head.reassignmentId ?? null,
    entries: kept,
  };
  if (!j.orderId && !j.paymentId && !j.refundId && !j.transferId && kept.some((e) => e.subOrderId === null)) {
    throw new RangeError(`ledger: ${head.kind}:${head.sourceId} names nothing it records`);
  }
  return j;
}

/** Balance of `account` (optionally one vendor's) over `entries`: their plain sum. */
export function balanceOf(entries: readonly LedgerEntry[], account: LedgerAccount, vendorId?: string): number {
  let sum = 0;
  for (const e of entries) {
    if (e.account === account && (vendorId === undefined || e.vendorId === vendorId)) sum += e.amountMinor;
  }
  return sum;
}
