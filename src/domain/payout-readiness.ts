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
