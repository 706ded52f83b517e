import { database } from "../db/client";
import {
  findSimAccount,
  findSimTransfer,
  insertSimAccount,
  insertSimReversal,
  insertSimTransfer,
  listSimTransfers,
  paySimAccountOut,
  type SimTransferRow,
  simAvailableMinor,
  simBalanceMoves,
} from "../db/simulated-payouts";
import { sha256Hex } from "../domain/crypto";
import type { PayoutAccount, PayoutProvider, ProviderTransfer } from "./payouts";

const idFor = async (prefix: string, key: string) => `${prefix}_${(await sha256Hex(key)).slice(0, 24)}`;

const idempotencyError = (key: string) => ({
  ok: false as const,
  code: "PROVIDER_ERROR" as const,
  message: `idempotency_error: key '${key}' was first used with other parameters`,
});

// A simulated account needs no onboarding: it is ready as soon as it exists.
const readyAccount = (accountId: string): PayoutAccount => ({
  accountId,
  payoutsEnabled: true,
  detailsSubmitted: true,
  disabledReason: null,
  requirementsDue: [],
});

function transferOf(t: SimTransferRow): ProviderTransfer {
  return {
    id: t.id,
    amount: { amountMinor: t.amountMinor, currency: t.currency },
    amountReversedMinor: t.amountReversedMinor,
    destination: t.destination,
    transferGroup: t.transferGroup,
    sourceTransaction: t.sourceTransaction,
    metadata: { subOrderId: t.subOrderId, orderId: t.orderId, vendorId: t.vendorId },
    createdAt: new Date(t.createdAt),
  };
}

/**
 * The local payout provider (development only; production refuses it): accounts, transfers and
 * reversals are rows of its own `sim_*` tables, ids derive from idempotency keys as a provider's
 * replay would answer, and balances follow from the rows. It charges no processing fee.
 */
export function simulatedPayouts(env: Env, clock: () => Date = () => new Date()): PayoutProvider {
  const db = database(env);
  return {
    name: "simulated",
    accounts: {
      async create({ vendorId, country, email, idempotencyKey }) {
        const row = await insertSimAccount(db, {
          id: await idFor("acct_sim", idempotencyKey),
          vendorId,
          idempotencyKey,
          country,
          email: email ?? null,
          createdAt: clock().toISOString(),
        });
        if (row.vendorId !== vendorId || row.country !== country) return idempotencyError(idempotencyKey);
        return { ok: true, value: readyAccount(row.id) };
      },
      async onboardingLink({ accountId, returnUrl }) {
        if (!(await findSimAccount(db, accountId))) {
          return { ok: false, code: "PROVIDER_ERROR", message: `No such account: '${accountId}'` };
        }
        // Nothing to fill in: the vendor goes straight back, as from a finished onboarding.
        return { ok: true, value: { url: returnUrl, expiresAt: new Date(clock().getTime() + 300_000) } };
      },
      async retrieve(accountId) {
        const row = await findSimAccount(db, accountId);
        if (!row) return { ok: false, code: "NOT_FOUND", message: `No such account: '${accountId}'` };
        return { ok: true, value: readyAccount(row.id) };
      },
    },
    transfers: {
      async create({ amount, destination, transferGroup, sourceTransaction, metadata, idempotencyKey }) {
        if (!Number.isInteger(amount.amountMinor) || amount.amountMinor < 1) {
          return { ok: false, code: "REFUSED", message: "Invalid positive integer: amount" };
        }
        if (!(await findSimAccount(db, destination))) {
          return { ok: false, code: "REFUSED", message: `No such destination: '${destination}'` };
        }
        const row = await insertSimTransfer(db, {
          id: await idFor("tr_sim", idempotencyKey),
          idempotencyKey,
          amountMinor: amount.amountMinor,
          currency: amount.currency,
          destination,
          transferGroup,
          sourceTransaction,
          subOrderId: metadata.subOrderId,
          orderId: metadata.orderId,
          vendorId: metadata.vendorId,
          createdAt: clock().toISOString(),
        });
        if (!row) {
          return {
            ok: false,
            code: "INSUFFICIENT_BALANCE",
            message: `The source charge ${sourceTransaction} has less than ${amount.amountMinor} left to transfer`,
          };
        }
        const same =
          row.amountMinor === amount.amountMinor &&
          row.currency === amount.currency &&
          row.destination === destination &&
          row.transferGroup === transferGroup &&
          row.sourceTransaction === sourceTransaction &&
          row.subOrderId === metadata.subOrderId;
        return same ? { ok: true, value: transferOf(row) } : idempotencyError(idempotencyKey);
      },
      async list(filter) {
        const rows = await listSimTransfers(db, {
          transferGroup: filter.transferGroup,
          destination: filter.destination,
          createdFrom: filter.createdFrom?.toISOString(),
          createdBefore: filter.createdBefore?.toISOString(),
        });
        return { ok: true, value: rows.map(transferOf) };
      },
    },
    reversals: {
      async create({ transferId, amount, idempotencyKey }) {
        const transfer = await findSimTransfer(db, transferId);
        if (!transfer) return { ok: false, code: "PROVIDER_ERROR", message: `No such transfer: '${transferId}'` };
        const row = await insertSimReversal(
          db,
          {
            id: await idFor("trr_sim", idempotencyKey),
            idempotencyKey,
            transferId,
            amountMinor: amount.amountMinor,
            currency: transfer.currency,
            createdAt: clock().toISOString(),
          },
          transfer.destination,
        );
        if (row) {
          if (row.transferId !== transferId || row.amountMinor !== amount.amountMinor) {
            return idempotencyError(idempotencyKey);
          }
          const value = { amount: { amountMinor: row.amountMinor, currency: row.currency } };
          return { ok: true, value: { id: row.id, transferId, ...value, createdAt: new Date(row.createdAt) } };
        }
        const left = transfer.amountMinor - transfer.amountReversedMinor;
        if (amount.amountMinor > left) {
          return { ok: false, code: "NOT_REVERSIBLE", message: `Only ${left} of transfer ${transferId} is left` };
        }
        return {
          ok: false,
          code: "INSUFFICIENT_BALANCE",
          message: `Account ${transfer.destination} has less than ${amount.amountMinor} available`,
        };
      },
    },
    balances: {
      async retrieve(accountId) {
        const account = await findSimAccount(db, accountId);
        if (!account) return { ok: false, code: "PROVIDER_ERROR", message: `No such account: '${accountId}'` };
        const transfers = await listSimTransfers(db, { destination: accountId });
        const currency = transfers[0]?.currency;
        const available = await simAvailableMinor(db, accountId);
        return {
          ok: true,
          value: { available: currency ? [{ amountMinor: available, currency }] : [], pending: [] },
        };
      },
    },
    reports: {
      async balanceTransactions({ from, before }) {
        const moves = await simBalanceMoves(db, from.toISOString(), before.toISOString());
        return {
          ok: true,
          value: moves.map((m) => ({
            id: m.id,
            type: m.type,
            sourceId: m.sourceId,
            amount: { amountMinor: m.amountMinor, currency: m.currency },
            fee: { amountMinor: 0, currency: m.currency },
            net: { amountMinor: m.amountMinor, currency: m.currency },
            createdAt: new Date(m.createdAt),
          })),
        };
      },
    },
  };
}

/**
 * Moves a simulated account's whole available balance to the vendor's bank, as a provider's payout
 * schedule would; a later reversal then finds the balance short. Answers the amount moved.
 */
export async function simulateBankPayout(env: Env, accountId: string): Promise<number> {
  return paySimAccountOut(database(env), accountId);
}
