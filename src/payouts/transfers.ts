import type { Db } from "../db/client";
import {
  confirmTransferStatements,
  failTransferStatements,
  type NewTransfer,
  type PayoutTransfer,
  pendingTransferStatements,
} from "../db/payouts";
import { newId } from "../domain/ids";
import {
  type TransferHead,
  transferConfirmedPosting,
  transferFailedPosting,
  transferPendingPosting,
} from "../domain/ledger-payouts";
import type { PlannedTransfer } from "../domain/payout-plan";
import type { PayoutProvider, ProviderTransfer } from "../gateways/payouts";

/**
 * One transfer per sub-order, in two phases: the pending row and journal are written before the
 * provider is asked, and the answer is recorded after. A crash between the two leaves a pending
 * transfer that the next run settles from the provider's own list (`settlePending`), never by
 * paying blindly again.
 */

const head = (t: NewTransfer | PayoutTransfer, at: string): TransferHead => ({
  currency: t.currency,
  at,
  orderId: t.orderId,
  subOrderId: t.subOrderId,
  vendorId: t.vendorId,
  transferId: t.id,
});

const amounts = (t: NewTransfer | PayoutTransfer) => ({
  payableMinor: t.payableMinor,
  carryForwardMinor: t.carryForwardMinor,
});

export function newTransfer(runId: string, p: PlannedTransfer, now: string): NewTransfer {
  return {
    id: newId("po"),
    runId,
    subOrderId: p.subOrderId,
    orderId: p.orderId,
    vendorId: p.vendorId,
    destination: p.destination,
    payableMinor: p.payableMinor,
    carryForwardMinor: p.carryForwardMinor,
    amountMinor: p.amountMinor,
    currency: p.currency,
    createdAt: now,
    sourceTransaction: p.sourceTransaction,
  };
}

/** Phase one for a page of transfers, in the caller's batch. */
export function pendingStatements(db: Db, transfers: readonly NewTransfer[]) {
  return transfers.flatMap((t) =>
    pendingTransferStatements(db, t, transferPendingPosting(head(t, t.createdAt), amounts(t))),
  );
}

/**
 * Asks the provider for the transfer; its key is the transfer's own id and its parameters are the
 * row's (the source it was written with too), so a retry of this attempt is one transfer.
 */
export function requestTransfer(provider: PayoutProvider, t: NewTransfer | PayoutTransfer) {
  return provider.transfers.create({
    amount: { amountMinor: t.amountMinor, currency: t.currency },
    destination: t.destination,
    transferGroup: t.orderId,
    sourceTransaction: t.sourceTransaction,
    metadata: { subOrderId: t.subOrderId, orderId: t.orderId, vendorId: t.vendorId },
    idempotencyKey: t.id,
  });
}

/** Phase two when the provider made the transfer. */
export function confirmedStatements(db: Db, t: NewTransfer | PayoutTransfer, made: ProviderTransfer, now: string) {
  return confirmTransferStatements(
    db,
    { id: t.id, providerTransferId: made.id, providerCreatedAt: made.createdAt.toISOString(), now },
    transferConfirmedPosting(head(t, now), amounts(t)),
  );
}

/** Phase two when the provider refused for good: the payable is restored and the sub-order is due again. */
export function failedStatements(db: Db, t: NewTransfer | PayoutTransfer, failure: string, now: string) {
  return failTransferStatements(db, { id: t.id, failure }, transferFailedPosting(head(t, now), amounts(t)));
}
