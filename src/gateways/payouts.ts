import type { Money } from "../contracts/common";

/**
 * The payout provider as the money flow sees it: separate charges and transfers. The shopper pays the
 * platform (see payments.ts); each vendor has a connected account at the provider, and the platform
 * transfers each sub-order's net to it, reverses a transfer when a refund follows it, and reads the
 * provider's own record of fees. Implementations: Stripe Connect (the official SDK) and a local
 * simulator whose state is its own D1 tables. A Razorpay Route adapter belongs behind the same port.
 *
 * Expected failures are values: `PROVIDER_ERROR` is anything the provider refused or could not answer
 * (network, auth, validation), with its message for ops; the named codes are refusals a caller acts on.
 */

export type PayoutFailure<C extends string = never> = { ok: false; code: "PROVIDER_ERROR" | C; message: string };
export type PayoutResult<T, C extends string = never> = { ok: true; value: T } | PayoutFailure<C>;

/** A vendor's connected account as the provider reports it; `ready` is what a payout run checks. */
export type PayoutAccount = {
  accountId: string;
  /** The provider will accept transfers to it and pay them out to the vendor's bank. */
  payoutsEnabled: boolean;
  /** The vendor finished the provider's onboarding form (it may still be under review). */
  detailsSubmitted: boolean;
  /** The provider's reason the account is disabled, e.g. `requirements.past_due`; null when none. */
  disabledReason: string | null;
  /** Requirements due now, in the provider's words (e.g. `external_account`, `individual.id_number`). */
  requirementsDue: string[];
};

/** Who a transfer pays and why: the ledger and the crash repair find a transfer by these. */
export type TransferMetadata = { subOrderId: string; orderId: string; vendorId: string };

export type ProviderTransfer = {
  id: string;
  amount: Money;
  /** Reversed so far, in the transfer's currency. */
  amountReversedMinor: number;
  destination: string;
  transferGroup: string | null;
  sourceTransaction: string | null;
  /** Our keys, when the transfer carries all three; null for one made by hand at the provider. */
  metadata: TransferMetadata | null;
  createdAt: Date;
};

export type ProviderReversal = { id: string; transferId: string; amount: Money; createdAt: Date };

/** Funds of a connected account, per currency: `available` may be transferred back, `pending` is settling. */
export type AccountBalance = { available: Money[]; pending: Money[] };

/**
 * One movement on the platform's balance as the provider booked it. For a charge, `fee` is the
 * provider's processing fee on it (the platform's cost, recorded apart from the marketplace's fees).
 */
export type BalanceTransaction = {
  id: string;
  /** The provider's type: `charge`, `payment`, `refund`, `transfer`, `transfer_refund`, `adjustment`, ... */
  type: string;
  /** What caused it: a charge (`ch_...`), refund, transfer or reversal id; null when the provider names none. */
  sourceId: string | null;
  amount: Money;
  fee: Money;
  net: Money;
  createdAt: Date;
};

/**
 * A provider's notice about payouts, verified: an account's readiness changed, or a transfer was
 * created, reversed or updated. Applied once per `eventId`.
 */
export type PayoutEvent = {
  eventId: string;
  type: string;
  at: Date;
  account?: PayoutAccount;
  transfer?: ProviderTransfer;
};

export interface PayoutProvider {
  readonly name: "simulated" | "stripe";

  readonly accounts: {
    /**
     * Creates a connected account for a vendor (Stripe: an Express account in `country`, able to
     * receive transfers). `idempotencyKey` makes a retried create answer the same account; the key
     * lives at the provider for a day only, so callers also keep the id they got (vendors.payout_account_id).
     */
    create(input: {
      vendorId: string;
      country: string;
      email?: string;
      idempotencyKey: string;
    }): Promise<PayoutResult<PayoutAccount>>;
    /** A one-time onboarding URL; the vendor returns to `returnUrl`, or to `refreshUrl` when the link expired. */
    onboardingLink(input: {
      accountId: string;
      returnUrl: string;
      refreshUrl: string;
    }): Promise<PayoutResult<{ url: string; expiresAt: Date }>>;
    /** The account's readiness now. */
    retrieve(accountId: string): Promise<PayoutResult<PayoutAccount, "NOT_FOUND">>;
  };

  readonly transfers: {
    /**
     * Moves `amount` from the platform to `destination`. `sourceTransaction` (the order's charge) lets
     * the transfer go before the charge's funds settle on the platform's balance. One transfer per
     * `idempotencyKey` within the provider's key lifetime (Stripe: 24 hours); beyond it, list first.
     * `INSUFFICIENT_BALANCE`: the platform's balance (or the source charge's remainder) is short.
     * `REFUSED`: the provider turned the request down and made nothing (the destination is gone or
     * cannot take transfers now, the request is invalid): as final as a short balance, unlike a
     * `PROVIDER_ERROR`, after which the transfer may exist.
     */
    create(input: {
      amount: Money;
      destination: string;
      transferGroup: string;
      sourceTransaction: string | null;
      metadata: TransferMetadata;
      idempotencyKey: string;
    }): Promise<PayoutResult<ProviderTransfer, "INSUFFICIENT_BALANCE" | "REFUSED">>;
    /**
     * Every transfer matching the filter, newest first, all pages read (one provider request per 100).
     * The way to learn whether a transfer happened: a provider cannot be asked by idempotency key.
     * `createdFrom` inclusive, `createdBefore` exclusive.
     */
    list(filter: {
      transferGroup?: string;
      destination?: string;
      createdFrom?: Date;
      createdBefore?: Date;
    }): Promise<PayoutResult<ProviderTransfer[]>>;
  };

  readonly reversals: {
    /**
     * Takes `amount` of a transfer back from the connected account, once per `idempotencyKey`.
     * `INSUFFICIENT_BALANCE`: the account's balance is short (it paid the money out already); the
     * caller carries the amount into the vendor's next payout instead. `NOT_REVERSIBLE`: the amount
     * exceeds what is left of the transfer.
     */
    create(input: {
      transferId: string;
      amount: Money;
      idempotencyKey: string;
      metadata?: Record<string, string>;
    }): Promise<PayoutResult<ProviderReversal, "INSUFFICIENT_BALANCE" | "NOT_REVERSIBLE">>;
  };

  readonly balances: {
    /** A connected account's balance, where the provider lets the platform read it. */
    retrieve(accountId: string): Promise<PayoutResult<AccountBalance>>;
  };

  readonly reports: {
    /** The platform's balance transactions created in [from, before), all pages read. */
    balanceTransactions(period: { from: Date; before: Date }): Promise<PayoutResult<BalanceTransaction[]>>;
  };
}

/** The vendor's account can receive a payout now: the one rule every caller applies. */
export function payoutReady(account: Pick<PayoutAccount, "payoutsEnabled" | "detailsSubmitted">): boolean {
  return account.payoutsEnabled && account.detailsSubmitted;
}
