import type { Hold, PlannedTransfer, SetOff } from "./payout-plan";

/** What a vendor's payout account needs before money can be transferred to it, in words for the vendor. */
export function notReadyBecause(a: {
  accountId: string | null;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  disabledReason: string | null;
  requirementsDue: readonly string[];
}): string[] {
  if (!a.accountId) return ["No payout account yet: set up payouts to be paid for delivered orders."];
  const why: string[] = [];
  if (!a.detailsSubmitted) why.push("Onboarding at the payout provider is not finished.");
  if (!a.payoutsEnabled) {
    why.push(`The payout provider has not enabled payouts${a.disabledReason ? ` (${a.disabledReason})` : ""}.`);
  }
  if (a.requirementsDue.length > 0) why.push(`The payout provider still needs: ${a.requirementsDue.join(", ")}.`);
  return why;
}

/** Why a suspended vendor's due sub-orders are held back, as the run's holds and the vendor's views say it. */
export const SUSPENDED_HOLD_REASON = "vendor suspended: earnings accrue and are paid once the vendor is reinstated";

/**
 * A suspended vendor is transferred nothing (a vendor suspended for fraud must not keep being paid):
 * each transfer the plan made to it becomes a hold with `SUSPENDED_HOLD_REASON`, and so does each of
 * its other holds, so its views say why whatever else was missing. Its set-offs stand: they move no
 * money to the vendor, only pay its carried debt down from what it earned. The payable stays in the
 * ledger, so the first run after it is reinstated pays what is due.
 */
export function holdSuspended(
  plan: { transfers: PlannedTransfer[]; holds: Hold[]; setOffs: SetOff[] },
  vendors: ReadonlyMap<string, { suspended: boolean }>,
): { transfers: PlannedTransfer[]; holds: Hold[]; setOffs: SetOff[] } {
  const suspended = (vendorId: string) => vendors.get(vendorId)?.suspended === true;
  const setOff = new Set(plan.setOffs.map((s) => s.subOrderId));
  const held = (h: Hold): Hold => ({ ...h, reason: SUSPENDED_HOLD_REASON });
  return {
    transfers: plan.transfers.filter((t) => !suspended(t.vendorId)),
    holds: [
      ...plan.holds.map((h) => (suspended(h.vendorId) && !setOff.has(h.subOrderId) ? held(h) : h)),
      ...plan.transfers
        .filter((t) => suspended(t.vendorId))
        .map((t) => ({
          subOrderId: t.subOrderId,
          vendorId: t.vendorId,
          payableMinor: t.payableMinor,
          reason: SUSPENDED_HOLD_REASON,
        })),
    ],
    setOffs: plan.setOffs,
  };
}
