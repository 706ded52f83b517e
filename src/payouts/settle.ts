import { type Db, runBatch, type Statement } from "../db/client";
import { postJournal } from "../db/ledger";
import {
  type OwedBack,
  owedBack,
  owedBackWithoutTransfer,
  type PayoutTransfer,
  pendingTransfers,
  reversedStatements,
  tallySettled,
} from "../db/payouts";
import { carryForwardPosting, transferReversedPosting } from "../domain/ledger-payouts";
import type { PayoutProvider, ProviderTransfer } from "../gateways/payouts";
import { confirmedStatements, failedStatements, requestTransfer } from "./transfers";

/**
 * What a run settles before it reconciles: transfers a dead run left pending, and refunds that
 * came after a transfer (every refund path posts to the ledger the same way, so this one step
 * takes the money back for all of them). Each returns the problems that must stop the run.
 */

/** A transfer a dead run left, confirmed now and counted in that run's totals, in one batch. */
const settledStatements = (db: Db, t: PayoutTransfer, made: ProviderTransfer, now: string): Statement[] => [
  tallySettled(db, t),
  ...confirmedStatements(db, t, made, now),
];

/**
 * A pending transfer is looked up at the provider by its order's transfer group and its vendor's
 * account, matched by the sub-order in its metadata (a provider cannot be asked by idempotency
 * key, and keys expire): found, it is confirmed; absent, it never happened and is asked for again
 * under its own key and with its own parameters (the source it was written with) while its sub-order
 * is still due and its destination is still its vendor's ready account, else failed. A provider that
 * cannot answer leaves it pending and stops the run.
 */
export async function settlePending(db: Db, provider: PayoutProvider, now: string, limit: number) {
  const pending = await pendingTransfers(db, limit);
  const problems: string[] = [];
  let settled = 0;
  const statements: Statement[] = [];
  for (const t of pending) {
    const listed = await provider.transfers.list({ transferGroup: t.orderId, destination: t.destination });
    if (!listed.ok) {
      problems.push(`could not look up pending transfer ${t.id} for ${t.subOrderId}: ${listed.message}`);
      continue;
    }
    const found = listed.value.find((p) => p.metadata?.subOrderId === t.subOrderId);
    if (found) {
      statements.push(...settledStatements(db, t, found, now));
      settled += 1;
      continue;
    }
    // Never made: asked for again only while the sub-order is still due and the vendor is still paid
    // at the account the row names. Refunded or held for review since, or the account disabled or
    // re-linked (the old one perhaps another vendor's now), or the vendor suspended, the row fails and
    // its money goes back to the payable, for the run's own rules to judge: a vendor not ready or
    // suspended is held back with the reason.
    if (!t.stillDue) {
      statements.push(
        ...failedStatements(
          db,
          t,
          "no longer due: refunded, held for review, the vendor suspended, or its payout account not ready or changed since it was written",
          now,
        ),
      );
      settled += 1;
      continue;
    }
    const made = await requestTransfer(provider, t);
    if (made.ok) statements.push(...settledStatements(db, t, made.value, now));
    // A refusal is final: the row fails and the sub-order is due again, so one vendor's account the
    // provider turns down cannot keep every later run from paying the others.
    else if (made.code !== "PROVIDER_ERROR") statements.push(...failedStatements(db, t, made.message, now));
    else {
      problems.push(`could not make pending transfer ${t.id} for ${t.subOrderId}: ${made.message}`);
      continue;
    }
    settled += 1;
  }
  await runBatch(db, statements);
  return { settled, problems, more: pending.length === limit };
}

/**
 * A refund after the transfer leaves the vendor owing the platform. The transfer is reversed for
 * that amount, up to what is left of it (a transfer that netted a carried debt off moved less than
 * the payable it settled), under a key of the refund it settles and the amount (a rerun asks for the
 * same reversal); the rest, or all of it where the provider refuses (the account's balance is short), is
 * carried into the vendor's next payout instead, as is a refund of a sub-order that was set off
 * against an earlier debt (nothing was transferred for it to reverse).
 */
export async function takeBackRefunds(db: Db, provider: PayoutProvider, since: string, now: string, limit: number) {
  const owed = await owedBack(db, since, limit);
  const problems: string[] = [];
  const tally = { reversals: 0, reversedMinor: 0, carriedMinor: 0 };
  const statements: Statement[] = [];
  for (const t of owed) {
    const outcome = await takeBack(db, provider, t, now);
    if ("problem" in outcome) {
      problems.push(outcome.problem);
      continue;
    }
    statements.push(...outcome.statements);
    if (outcome.reversedMinor > 0) tally.reversals += 1;
    tally.reversedMinor += outcome.reversedMinor;
    tally.carriedMinor += t.owedBackMinor - outcome.reversedMinor;
  }
  for (const s of await owedBackWithoutTransfer(db, since, limit)) {
    const refundId = s.refundId ?? `${s.subOrderId}:${now}`;
    const head = { currency: s.currency, at: now, orderId: s.orderId, subOrderId: s.subOrderId, vendorId: s.vendorId };
    // Keyed by the number of refunds too: a later refund stamped no later than the one carried before
    // may be read as the latest again, and under that one's key alone its debit would never be carried.
    statements.push(
      ...postJournal(
        db,
        carryForwardPosting(
          { ...head, sourceId: `${s.subOrderId}:${refundId}:${s.refunds}`, refundId },
          s.owedBackMinor,
        ),
      ),
    );
    tally.carriedMinor += s.owedBackMinor;
  }
  await runBatch(db, statements);
  return { ...tally, problems };
}

async function takeBack(
  db: Db,
  provider: PayoutProvider,
  t: OwedBack,
  now: string,
): Promise<{ problem: string } | { statements: Statement[]; reversedMinor: number }> {
  const head = { currency: t.currency, at: now, orderId: t.orderId, subOrderId: t.subOrderId, vendorId: t.vendorId };
  if (!t.providerTransferId) return { problem: `paid transfer ${t.id} has no provider id` };
  // A reversal asked for before and left unanswered may have been made, and a later refund's
  // reversal goes under a key of its own: what the provider took already is recorded first, from
  // its own reversed total, and only the rest is asked for, so nothing is taken from a vendor twice.
  const listed = await provider.transfers.list({ transferGroup: t.orderId, destination: t.destination });
  if (!listed.ok) return { problem: `could not look up transfer ${t.id} for ${t.subOrderId}: ${listed.message}` };
  const atProvider = listed.value.find((p) => p.id === t.providerTransferId);
  const takenMinor = (atProvider?.amountReversedMinor ?? 0) - t.reversedMinor;
  if (!atProvider || takenMinor < 0 || takenMinor > t.owedBackMinor) {
    return {
      problem: `transfer ${t.id} for ${t.subOrderId}: the provider reports ${atProvider ? `${atProvider.amountReversedMinor} reversed` : "no such transfer"}, the ledger ${t.reversedMinor} reversed and ${t.owedBackMinor} owed back`,
    };
  }
  const taken = (cumulative: number, amountMinor: number) =>
    reversedStatements(
      db,
      t.id,
      t.subOrderId,
      transferReversedPosting({ ...head, transferId: t.id, reversalId: `${t.id}:${cumulative}` }, amountMinor),
    );
  const statements = takenMinor > 0 ? taken(atProvider.amountReversedMinor, takenMinor) : [];
  const left = t.owedBackMinor - takenMinor;
  if (left === 0) return { statements, reversedMinor: takenMinor };
  // Without a refund id the carry is named by the provider's total plus what is left: the same
  // before and after a reversal whose answer was lost, so a rerun carries the rest once. With one, it
  // is named by the number of refunds too, so each refund since the last carry makes a new key even
  // where a later refund's time ties or precedes the one carried before (read as the latest again).
  const refundId = t.refundId ?? `${t.id}:${atProvider.amountReversedMinor + left}`;
  const carryId = t.refundId ? `${t.id}:${refundId}:${t.refunds}` : `${t.id}:${refundId}`;
  const carry = (amountMinor: number) =>
    reversedStatements(
      db,
      t.id,
      t.subOrderId,
      carryForwardPosting({ ...head, sourceId: carryId, refundId }, amountMinor),
    );
  // A transfer that netted a carried debt off moved less than the payable it settled, so a refund
  // after it can exceed what is left of it, and the provider refuses the whole of a reversal beyond
  // that (Stripe `amount_too_large`): only what is left is asked for and the rest is carried.
  const reversible = Math.min(left, atProvider.amount.amountMinor - atProvider.amountReversedMinor);
  if (reversible <= 0) return { statements: [...statements, ...carry(left)], reversedMinor: takenMinor };
  const cumulative = atProvider.amountReversedMinor + reversible;
  // The key names this take-back: the refund it settles, the provider's reversed total before it and
  // the amount, all the same on a rerun of this state. A refused reversal raises no total, so a key of
  // the total after it would come back for a later refund's reversal of another amount within Stripe's
  // 24 hours of keeping keys, refusals included: an `idempotency_error` that would stop the run.
  const reversal = await provider.reversals.create({
    transferId: t.providerTransferId,
    amount: { amountMinor: reversible, currency: t.currency },
    idempotencyKey: `${t.id}-reversal-${refundId}-${atProvider.amountReversedMinor}-${reversible}`,
    metadata: { subOrderId: t.subOrderId, orderId: t.orderId, vendorId: t.vendorId },
  });
  if (reversal.ok) {
    const rest = left - reversible;
    return {
      statements: [...statements, ...taken(cumulative, reversible), ...(rest > 0 ? carry(rest) : [])],
      reversedMinor: takenMinor + reversible,
    };
  }
  if (reversal.code === "PROVIDER_ERROR") {
    return { problem: `could not reverse transfer ${t.id} for ${t.subOrderId}: ${reversal.message}` };
  }
  return { statements: [...statements, ...carry(left)], reversedMinor: takenMinor };
}
