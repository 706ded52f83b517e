/**
 * The payout run's decisions, pure: which due sub-orders are transferred, netting a vendor's carried
 * debt, which are held back and why; and the reconciliation's verdict over the period's figures and
 * the provider's transfers.
 */

export type DueSubOrder = {
  subOrderId: string;
  orderId: string;
  vendorId: string;
  /** The order's charge, so the transfer need not wait for the platform's balance to settle. */
  sourceTransaction: string | null;
  /** What the ledger says the vendor is owed for it now (positive). */
  payableMinor: number;
  currency: string;
};

export type VendorPayoutState = {
  /** The connected account to pay, or null when the vendor has none. */
  accountId: string | null;
  ready: boolean;
  /** The provider's reason or the requirements due, for the hold's text. */
  notReadyBecause: string | null;
  /** What the vendor owes from refunds the provider would not reverse (debit balance). */
  carriedDebtMinor: number;
};

export type PlannedTransfer = DueSubOrder & { destination: string; carryForwardMinor: number; amountMinor: number };
export type Hold = { subOrderId: string; vendorId: string; payableMinor: number; reason: string };
/** A due sub-order no larger than its vendor's carried debt: its whole payable pays the debt down. */
export type SetOff = DueSubOrder;

/**
 * A vendor without a ready account accrues but is not paid. A carried debt is paid down by the
 * vendor's due sub-orders in turn: one no larger than what is left of it is set off whole (nothing
 * transferred; it is held with the reason), and the first larger one nets the rest off its transfer
 * (so every transfer moves a positive amount). However large the debt, each sub-order that comes
 * due reduces it, and the vendor is paid again once it is gone.
 */
export function planPayouts(
  due: readonly DueSubOrder[],
  vendors: ReadonlyMap<string, VendorPayoutState>,
): { transfers: PlannedTransfer[]; holds: Hold[]; setOffs: SetOff[] } {
  const transfers: PlannedTransfer[] = [];
  const holds: Hold[] = [];
  const setOffs: SetOff[] = [];
  const debtLeft = new Map<string, number>();
  for (const d of due) {
    const v = vendors.get(d.vendorId);
    const hold = (reason: string) =>
      holds.push({ subOrderId: d.subOrderId, vendorId: d.vendorId, payableMinor: d.payableMinor, reason });
    if (!v?.accountId) {
      hold("no payout account: the vendor has not set up payouts");
      continue;
    }
    if (!v.ready) {
      hold(`payout account not ready${v.notReadyBecause ? `: ${v.notReadyBecause}` : ""}`);
      continue;
    }
    const debt = debtLeft.get(d.vendorId) ?? v.carriedDebtMinor;
    if (debt > 0 && d.payableMinor <= debt) {
      setOffs.push(d);
      debtLeft.set(d.vendorId, debt - d.payableMinor);
      hold(
        `set against the carried debt of ${debt} from refunds after payout; ${debt - d.payableMinor} left to pay down`,
      );
      continue;
    }
    debtLeft.set(d.vendorId, 0);
    transfers.push({
      ...d,
      destination: v.accountId,
      carryForwardMinor: debt,
      amountMinor: d.payableMinor - debt,
    });
  }
  return { transfers, holds, setOffs };
}

/**
 * A transfer draws on its order's charge (so it need not wait for the platform's balance to settle)
 * only while the charge has its amount left (`chargesLeft`, by order): the provider refuses a
 * transfer beyond that. A reassignment to a dearer offer owes the new vendor its own price while the
 * shopper paid the old one, so once that cost passes the order's fees (the platform funds it) the
 * vendors' nets exceed the charge; such a transfer goes from the platform's balance
 * (`sourceTransaction` null). The plan's transfers of an order take from what is left in turn.
 */
export function fundFromCharges(
  transfers: readonly PlannedTransfer[],
  chargesLeft: ReadonlyMap<string, number>,
): PlannedTransfer[] {
  const left = new Map(chargesLeft);
  return transfers.map((t) => {
    const room = left.get(t.orderId) ?? 0;
    if (t.sourceTransaction === null || t.amountMinor > room) return { ...t, sourceTransaction: null };
    left.set(t.orderId, room - t.amountMinor);
    return t;
  });
}

/** A transfer as the ledger records it and as the provider reports it, for matching by sub-order. */
export type KnownTransfer = {
  subOrderId: string;
  amountMinor: number;
  destination: string;
  providerTransferId: string | null;
};
export type ReportedTransfer = {
  providerTransferId: string;
  amountMinor: number;
  destination: string;
  subOrderId: string | null;
};

export type PeriodFigures = {
  /** Captured by the payment records (payments succeeded in the period). */
  capturedMinor: number;
  /** What the ledger holds for those payments: vendor nets (owed, pending, paid, carried), fees, refunds, less the platform's reassignment cost. */
  vendorNetsMinor: number;
  platformFeesMinor: number;
  refundsMinor: number;
  reassignmentCostMinor: number;
  /** Refunded by the refund records for the period's payments. */
  refundRecordsMinor: number;
};

/**
 * The run's proof before it pays: captured = vendor nets + platform fees + refunds (the platform's
 * reassignment cost is what it added to vendor nets beyond the shopper's price, so it is taken off);
 * the ledger's refunds equal the refund records; every transfer the provider reports is one the
 * ledger knows, by its metadata and amount, and the reverse. Any problem stops the whole run.
 */
export function reconcile(
  f: PeriodFigures,
  ledger: {
    /** The ledger's paid transfers made in the period by the provider's clock: each must be reported. */
    inPeriod: readonly KnownTransfer[];
    /** The ledger's live transfers of the sub-orders the provider names, whenever made. */
    named: readonly KnownTransfer[];
  },
  reported: readonly ReportedTransfer[],
): string[] {
  const problems: string[] = [];
  const accounted = f.vendorNetsMinor + f.platformFeesMinor + f.refundsMinor - f.reassignmentCostMinor;
  if (accounted !== f.capturedMinor) {
    problems.push(
      `captured ${f.capturedMinor} but vendor nets ${f.vendorNetsMinor} + platform fees ${f.platformFeesMinor} + refunds ${f.refundsMinor} - reassignment cost ${f.reassignmentCostMinor} = ${accounted}`,
    );
  }
  if (f.refundsMinor !== f.refundRecordsMinor) {
    problems.push(`the ledger's refunds ${f.refundsMinor} differ from the refund records ${f.refundRecordsMinor}`);
  }
  const bySubOrder = new Map([...ledger.named, ...ledger.inPeriod].map((k) => [k.subOrderId, k]));
  const seen = new Set<string>();
  for (const r of reported) {
    const k = r.subOrderId ? bySubOrder.get(r.subOrderId) : undefined;
    if (!k) {
      problems.push(
        `provider transfer ${r.providerTransferId} (${r.amountMinor} to ${r.destination}) is not in the ledger`,
      );
      continue;
    }
    seen.add(k.subOrderId);
    if (k.providerTransferId !== null && k.providerTransferId !== r.providerTransferId) {
      problems.push(
        `sub-order ${k.subOrderId} was paid by ${k.providerTransferId}, but the provider also reports ${r.providerTransferId}`,
      );
    } else if (k.amountMinor !== r.amountMinor || k.destination !== r.destination) {
      problems.push(
        `transfer ${r.providerTransferId} for ${k.subOrderId}: the provider says ${r.amountMinor} to ${r.destination}, the ledger ${k.amountMinor} to ${k.destination}`,
      );
    }
  }
  for (const k of ledger.inPeriod) {
    if (!seen.has(k.subOrderId)) {
      problems.push(`the ledger's transfer for ${k.subOrderId} (${k.amountMinor}) has no provider record`);
    }
  }
  return problems;
}
