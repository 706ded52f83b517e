import type { PayoutAccountSetup, PayoutAccountStatus } from "../contracts/payout-accounts";
import { database } from "../db/client";
import {
  claimPayoutAccount,
  otherHolderOf,
  refreshReadiness,
  type VendorPayoutRow,
  vendorPayoutOf,
} from "../db/payout-accounts";
import { notReadyBecause } from "../domain/payout-readiness";
import { isoSeconds } from "../domain/time";
import { paymentsConfigured } from "../gateways/payment-provider";
import { payoutProvider } from "../gateways/payout-provider";
import { payoutReady } from "../gateways/payouts";
import { config } from "../platform/config";

export type PayoutAccountFailure =
  | { ok: false; code: "NOT_FOUND"; detail: string }
  | { ok: false; code: "CONFLICT"; detail: string }
  | { ok: false; code: "PAYMENTS_NOT_CONFIGURED"; detail: string }
  | { ok: false; code: "PAYMENT_PROVIDER_ERROR"; detail: string };

function statusOf(env: Env, row: VendorPayoutRow): PayoutAccountStatus {
  const view = {
    accountId: row.payoutAccountId,
    payoutsEnabled: row.payoutsEnabled,
    detailsSubmitted: row.payoutDetailsSubmitted,
    disabledReason: row.payoutDisabledReason,
    requirementsDue: row.payoutRequirementsDue ?? [],
  };
  return {
    vendorId: row.vendorId,
    provider: payoutProvider(env).name,
    ...view,
    ready: view.accountId !== null && payoutReady(view),
    notReadyBecause: notReadyBecause(view),
    updatedAt: row.payoutAccountUpdatedAt,
  };
}

/** The vendor's payout readiness as last reported by the provider. */
export async function payoutAccountStatus(
  env: Env,
  vendorId: string,
): Promise<{ ok: true; status: PayoutAccountStatus } | PayoutAccountFailure> {
  const row = await vendorPayoutOf(database(env), vendorId);
  if (!row) return { ok: false, code: "NOT_FOUND", detail: `No vendor ${vendorId}` };
  return { ok: true, status: statusOf(env, row) };
}

/**
 * Creates the vendor's connected account if it has none (one per vendor: keyed at the provider and
 * kept only where none is stored), refreshes its readiness from a read of the account either way (a
 * create's answer may be a replay of the key's first, made before an onboarding since finished), and
 * answers a fresh onboarding link that returns to the vendor app at `origin`.
 */
export async function setUpPayoutAccount(
  env: Env,
  vendorId: string,
  origin: string,
  now: Date,
): Promise<({ ok: true } & PayoutAccountSetup) | PayoutAccountFailure> {
  const db = database(env);
  let row = await vendorPayoutOf(db, vendorId);
  if (!row) return { ok: false, code: "NOT_FOUND", detail: `No vendor ${vendorId}` };
  if (!paymentsConfigured(env)) {
    return { ok: false, code: "PAYMENTS_NOT_CONFIGURED", detail: "No payout provider is configured" };
  }
  const provider = payoutProvider(env);
  const at = isoSeconds(now);
  const failed = (message: string) => ({
    ok: false as const,
    code: "PAYMENT_PROVIDER_ERROR" as const,
    detail: message,
  });
  if (!row.payoutAccountId) {
    const email = row.contactEmail;
    const create = (idempotencyKey: string) =>
      provider.accounts.create({
        vendorId,
        country: config(env).platformCountry,
        ...(email ? { email } : {}),
        idempotencyKey,
      });
    const key = `payout-account:${vendorId}`;
    let created = await create(key);
    // The provider replays a key's first answer (Stripe for a day): an account an admin has since
    // moved to another vendor would come back. That one is not this vendor's: it gets a new one.
    if (created.ok && (await otherHolderOf(db, created.value.accountId, vendorId))) {
      created = await create(`${key}:after:${created.value.accountId}`);
    }
    if (!created.ok) return failed(created.message);
    if (await otherHolderOf(db, created.value.accountId, vendorId)) {
      return {
        ok: false,
        code: "CONFLICT",
        detail: `The provider answered with account ${created.value.accountId}, which another vendor holds; an admin must link this vendor's account`,
      };
    }
    row = (await claimPayoutAccount(db, vendorId, created.value.accountId)) ?? row;
  } else {
    // Linked by hand to an account another vendor holds: a link would open that vendor's account.
    const holder = await otherHolderOf(db, row.payoutAccountId, vendorId);
    if (holder) {
      return {
        ok: false,
        code: "CONFLICT",
        detail: `Another vendor holds account ${row.payoutAccountId}; an admin must correct the vendor's payoutAccountId`,
      };
    }
  }
  const accountId = row.payoutAccountId!;
  const current = await provider.accounts.retrieve(accountId);
  // An account id set by hand (PATCH /vendors) that the provider does not know: fixing it is an admin's call.
  if (!current.ok && current.code === "NOT_FOUND") {
    return {
      ok: false,
      code: "CONFLICT",
      detail: `The provider has no account ${accountId}; an admin must correct the vendor's payoutAccountId`,
    };
  }
  // A new account is kept already: the next set-up reads it again.
  if (!current.ok) return failed(current.message);
  await refreshReadiness(db, vendorId, accountId, current.value, at);
  row = (await vendorPayoutOf(db, vendorId)) ?? row;
  const link = await provider.accounts.onboardingLink({
    accountId,
    returnUrl: `${origin}/vendor/payouts?onboarding=done`,
    refreshUrl: `${origin}/vendor/payouts?onboarding=expired`,
  });
  if (!link.ok) return failed(link.message);
  return {
    ok: true,
    status: statusOf(env, row),
    onboardingUrl: link.value.url,
    onboardingExpiresAt: isoSeconds(link.value.expiresAt),
  };
}
