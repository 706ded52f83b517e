import { type Journal, journal, type LedgerEntry } from "./ledger";

/**
 * The payout side's posting rules, for the payout job: a transfer is two-phase (pending before the
 * provider is asked, confirmed or failed after), a refund after a transfer is taken back by a
 * reversal or, where the provider refuses one, carried forward against the vendor's next transfer.
 * Each journal's natural key is its kind with the id given, so a rerun posts nothing twice.
 */

export type TransferHead = {
  currency: string;
  at: string;
  orderId: string;
  subOrderId: string;
  vendorId: string;
  /** The platform's id of the transfer (one per sub-order), known before the provider answers. */
  transferId: string;
};

export type TransferAmounts = {
  /** The sub-order's payable the transfer settles. */
  payableMinor: number;
  /** The vendor's carried-forward debt netted off it (0 when none); the transfer moves the rest. */
  carryForwardMinor: number;
};

function vendorEntry(
  head: { vendorId: string; subOrderId: string },
  account: LedgerEntry["account"],
  component: LedgerEntry["component"],
  amountMinor: number,
): LedgerEntry {
  return { account, vendorId: head.vendorId, subOrderId: head.subOrderId, component, amountMinor };
}

function checkAmounts(a: TransferAmounts): number {
  const amount = a.payableMinor - a.carryForwardMinor;
  if (a.carryForwardMinor < 0 || amount <= 0) {
    throw new RangeError(`ledger: a transfer of ${a.payableMinor} less ${a.carryForwardMinor} carried moves nothing`);
  }
  return amount;
}

/** Written before the provider is asked: the payable (and any carried debt netted off it) leaves for the pending transfer. */
export function transferPendingPosting(head: TransferHead, a: TransferAmounts): Journal {
  const amount = checkAmounts(a);
  return journal({ kind: "transfer_pending", sourceId: head.transferId, ...head }, [
    vendorEntry(head, "vendor_payable", "transfer", a.payableMinor),
    vendorEntry(head, "vendor_carry_forward", "carry_forward", -a.carryForwardMinor),
    vendorEntry(head, "vendor_transfer_pending", "transfer", -amount),
  ]);
}

/** The provider made the transfer (answered, or found by the repair of a crash): it is paid. */
export function transferConfirmedPosting(head: TransferHead, a: TransferAmounts): Journal {
  const amount = checkAmounts(a);
  return journal({ kind: "transfer_confirmed", sourceId: head.transferId, ...head }, [
    vendorEntry(head, "vendor_transfer_pending", "transfer", amount),
    vendorEntry(head, "vendor_paid", "transfer", -amount),
  ]);
}

/** The provider refused the transfer for good: the pending journal is undone, payable and carried debt restored. */
export function transferFailedPosting(head: TransferHead, a: TransferAmounts): Journal {
  const amount = checkAmounts(a);
  return journal({ kind: "transfer_failed", sourceId: head.transferId, ...head }, [
    vendorEntry(head, "vendor_transfer_pending", "transfer", amount),
    vendorEntry(head, "vendor_carry_forward", "carry_forward", a.carryForwardMinor),
    vendorEntry(head, "vendor_payable", "transfer", -a.payableMinor),
  ]);
}

/**
 * A refund after the transfer, taken back from the vendor's connected account: the paid amount
 * falls and the payable (negative after the refund) is made whole. `reversalId` names it.
 */
export function transferReversedPosting(head: TransferHead & { reversalId: string }, amountMinor: number): Journal {
  if (amountMinor <= 0) throw new RangeError("ledger: a reversal takes back a positive amount");
  return journal({ kind: "transfer_reversed", sourceId: head.reversalId, ...head }, [
    vendorEntry(head, "vendor_paid", "reversal", amountMinor),
    vendorEntry(head, "vendor_payable", "reversal", -amountMinor),
  ]);
}

/**
 * A refund after the transfer the provider would not reverse: the sub-order's negative payable
 * becomes the vendor's carried debt, netted off its next transfer (`carryForwardMinor` there).
 * `sourceId` names what is carried (the refund's id), so it is carried once.
 */
export function carryForwardPosting(
  head: Omit<TransferHead, "transferId"> & { sourceId: string; refundId: string },
  amountMinor: number,
): Journal {
  if (amountMinor <= 0) throw new RangeError("ledger: a carry-forward carries a positive amount");
  return journal({ kind: "carry_forward", ...head }, [
    vendorEntry(head, "vendor_carry_forward", "carry_forward", amountMinor),
    vendorEntry(head, "vendor_payable", "carry_forward", -amountMinor),
  ]);
}

/** The source of a set-off's journal: once per sub-order and payout run. */
export const setOffSourceId = (runId: string, subOrderId: string) => `set-off:${runId}:${subOrderId}`;

/**
 * A due sub-order set off whole against the vendor's carried debt (see `planPayouts`): its payable
 * pays the debt down and nothing is transferred for it.
 */
export function setOffPosting(
  head: Omit<TransferHead, "transferId"> & { runId: string },
  amountMinor: number,
): Journal {
  if (amountMinor <= 0) throw new RangeError("ledger: a set-off moves a positive amount");
  return journal({ kind: "carry_forward", sourceId: setOffSourceId(head.runId, head.subOrderId), ...head }, [
    vendorEntry(head, "vendor_payable", "carry_forward", amountMinor),
    vendorEntry(head, "vendor_carry_forward", "carry_forward", -amountMinor),
  ]);
}

/**
 * The provider's processing fee on a payment (from its balance transactions): the platform's cost,
 * taken from what the shopper paid. "Captured" in reconciliation is shopper_payments' goods and
 * shipping entries; this posts under its own component so it never blurs that figure.
 */
export function providerFeePosting(
  head: { currency: string; at: string; orderId: string; paymentId: string; balanceTransactionId: string },
  amountMinor: number,
): Journal {
  if (amountMinor < 0) throw new RangeError("ledger: a provider fee is not negative");
  return journal({ kind: "provider_fee", sourceId: head.balanceTransactionId, ...head }, [
    { account: "provider_fees", vendorId: null, subOrderId: null, component: "provider_fee", amountMinor },
    {
      account: "shopper_payments",
      vendorId: null,
      subOrderId: null,
      component: "provider_fee",
      amountMinor: -amountMinor,
    },
  ]);
}
