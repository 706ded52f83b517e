import Stripe from "stripe";
import type {
  BalanceTransaction,
  PayoutAccount,
  PayoutEvent,
  PayoutFailure,
  PayoutProvider,
  ProviderTransfer,
  TransferMetadata,
} from "./payouts";
import { client, providerError, type StripeConfig, stripeKey, verifiedEvent } from "./stripe";

const PAGE = 100;

const idOf = (v: string | { id: string } | null | undefined) => (typeof v === "string" ? v : (v?.id ?? null));
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

function accountOf(a: Stripe.Account): PayoutAccount {
  return {
    accountId: a.id,
    payoutsEnabled: a.payouts_enabled ?? false,
    detailsSubmitted: a.details_submitted ?? false,
    disabledReason: a.requirements?.disabled_reason ?? null,
    requirementsDue: [...(a.requirements?.past_due ?? []), ...(a.requirements?.currently_due ?? [])].filter(
      (r, i, all) => all.indexOf(r) === i,
    ),
  };
}

function metadataOf(m: Stripe.Metadata): TransferMetadata | null {
  const { subOrderId, orderId, vendorId } = m;
  return subOrderId && orderId && vendorId ? { subOrderId, orderId, vendorId } : null;
}

function transferOf(t: Stripe.Transfer): ProviderTransfer {
  return {
    id: t.id,
    amount: { amountMinor: t.amount, currency: t.currency.toUpperCase() },
    amountReversedMinor: t.amount_reversed,
    destination: idOf(t.destination) ?? "",
    transferGroup: t.transfer_group,
    sourceTransaction: idOf(t.source_transaction),
    metadata: metadataOf(t.metadata),
    createdAt: new Date(t.created * 1000),
  };
}

function balanceTransactionOf(b: Stripe.BalanceTransaction): BalanceTransaction {
  const currency = b.currency.toUpperCase();
  return {
    id: b.id,
    type: b.type,
    sourceId: idOf(b.source),
    amount: { amountMinor: b.amount, currency },
    fee: { amountMinor: b.fee, currency },
    net: { amountMinor: b.net, currency },
    createdAt: new Date(b.created * 1000),
  };
}

/** Stripe's `balance_insufficient`: the balance a transfer or reversal draws on is short. */
function refusal<C extends string>(err: unknown, codes: Record<string, C>): PayoutFailure<C> {
  if (err instanceof Stripe.errors.StripeError && err.code && codes[err.code]) {
    return { ok: false, code: codes[err.code] as C, message: err.message };
  }
  return providerError(err);
}

/**
 * Stripe answered and made nothing: the request was invalid for it (a destination deleted or
 * without the transfers capability, say) or not permitted. Not a lock, a rate limit, a timeout or
 * an error on Stripe's side, after any of which the same request may yet succeed.
 */
function turnedDown(err: unknown): boolean {
  if (err instanceof Stripe.errors.StripePermissionError) return true;
  return (
    err instanceof Stripe.errors.StripeInvalidRequestError &&
    !["idempotency_key_in_use", "lock_timeout"].includes(err.code ?? "")
  );
}

/** Stripe Connect, separate charges and transfers, through the official SDK. */
export function stripePayouts(cfg: StripeConfig): PayoutProvider {
  const stripe = client(cfg);
  return {
    name: "stripe",
    accounts: {
      async create({ vendorId, country, email, idempotencyKey }) {
        try {
          const account = await stripe.accounts.create(
            {
              type: "express",
              country,
              ...(email ? { email } : {}),
              // Separate charges and transfers: the account only receives transfers; the platform charges.
              capabilities: { transfers: { requested: true } },
              metadata: { vendorId },
            },
            { idempotencyKey: await stripeKey(idempotencyKey) },
          );
          return { ok: true, value: accountOf(account) };
        } catch (err) {
          return providerError(err);
        }
      },
      async onboardingLink({ accountId, returnUrl, refreshUrl }) {
        try {
          const link = await stripe.accountLinks.create({
            account: accountId,
            type: "account_onboarding",
            return_url: returnUrl,
            refresh_url: refreshUrl,
          });
          return { ok: true, value: { url: link.url, expiresAt: new Date(link.expires_at * 1000) } };
        } catch (err) {
          return providerError(err);
        }
      },
      async retrieve(accountId) {
        try {
          return { ok: true, value: accountOf(await stripe.accounts.retrieve(accountId)) };
        } catch (err) {
          return refusal(err, { resource_missing: "NOT_FOUND", account_invalid: "NOT_FOUND" });
        }
      },
    },
    transfers: {
      async create({ amount, destination, transferGroup, sourceTransaction, metadata, idempotencyKey }) {
        try {
          const transfer = await stripe.transfers.create(
            {
              amount: amount.amountMinor,
              currency: amount.currency.toLowerCase(),
              destination,
              transfer_group: transferGroup,
              ...(sourceTransaction ? { source_transaction: sourceTransaction } : {}),
              metadata,
            },
            { idempotencyKey: await stripeKey(idempotencyKey) },
          );
          return { ok: true, value: transferOf(transfer) };
        } catch (err) {
          const short = refusal(err, { balance_insufficient: "INSUFFICIENT_BALANCE" });
          return short.code === "PROVIDER_ERROR" && turnedDown(err) ? { ...short, code: "REFUSED" } : short;
        }
      },
      async list({ transferGroup, destination, createdFrom, createdBefore }) {
        try {
          const created =
            createdFrom || createdBefore
              ? {
                  ...(createdFrom ? { gte: seconds(createdFrom) } : {}),
                  ...(createdBefore ? { lt: seconds(createdBefore) } : {}),
                }
              : undefined;
          const out: ProviderTransfer[] = [];
          // The SDK follows `has_more` with `starting_after`, one request per page.
          for await (const t of stripe.transfers.list({
            limit: PAGE,
            ...(transferGroup ? { transfer_group: transferGroup } : {}),
            ...(destination ? { destination } : {}),
            ...(created ? { created } : {}),
          })) {
            out.push(transferOf(t));
          }
          return { ok: true, value: out };
        } catch (err) {
          return providerError(err);
        }
      },
    },
    reversals: {
      async create({ transferId, amount, idempotencyKey, metadata }) {
        try {
          const r = await stripe.transfers.createReversal(
            transferId,
            { amount: amount.amountMinor, ...(metadata ? { metadata } : {}) },
            { idempotencyKey: await stripeKey(idempotencyKey) },
          );
          return {
            ok: true,
            value: {
              id: r.id,
              transferId: idOf(r.transfer) ?? transferId,
              amount: { amountMinor: r.amount, currency: r.currency.toUpperCase() },
              createdAt: new Date(r.created * 1000),
            },
          };
        } catch (err) {
          return refusal(err, { balance_insufficient: "INSUFFICIENT_BALANCE", amount_too_large: "NOT_REVERSIBLE" });
        }
      },
    },
    balances: {
      async retrieve(accountId) {
        try {
          // Read as the connected account (Stripe-Account header): its own balance, not the platform's.
          const b = await stripe.balance.retrieve({}, { stripeAccount: accountId });
          const money = (xs: { amount: number; currency: string }[]) =>
            xs.map((x) => ({ amountMinor: x.amount, currency: x.currency.toUpperCase() }));
          return { ok: true, value: { available: money(b.available), pending: money(b.pending) } };
        } catch (err) {
          return providerError(err);
        }
      },
    },
    reports: {
      async balanceTransactions({ from, before }) {
        try {
          const out: BalanceTransaction[] = [];
          for await (const b of stripe.balanceTransactions.list({
            limit: PAGE,
            created: { gte: seconds(from), lt: seconds(before) },
          })) {
            out.push(balanceTransactionOf(b));
          }
          return { ok: true, value: out };
        } catch (err) {
          return providerError(err);
        }
      },
    },
  };
}

/**
 * A Stripe webhook verified with its endpoint's signing secret (the Connect endpoint's own, or the platform's
 * for transfer events, which happen on the platform account), reduced to what the
 * payout side records: readiness from `account.updated`, the transfer from `transfer.*`. Other
 * verified events come back with neither, to be acknowledged and ignored.
 */
export async function verifyPayoutEvent(
  rawBody: string,
  signature: string | undefined,
  secret: string,
  cfg: StripeConfig,
): Promise<PayoutEvent | null> {
  const event = await verifiedEvent(rawBody, signature, secret, cfg);
  if (!event) return null;
  const base = { eventId: event.id, type: event.type, at: new Date(event.created * 1000) };
  const object = event.data.object as { object?: string };
  if (event.type === "account.updated" && object.object === "account") {
    return { ...base, account: accountOf(object as Stripe.Account) };
  }
  if (event.type.startsWith("transfer.") && object.object === "transfer") {
    return { ...base, transfer: transferOf(object as Stripe.Transfer) };
  }
  return base;
}
