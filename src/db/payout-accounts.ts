import { and, asc, eq, isNull, ne, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Db, Statement } from "./client";
import { payoutEvents, vendors } from "./schema";

/** A connected account's readiness as the provider reported it. */
export type Readiness = {
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  disabledReason: string | null;
  requirementsDue: string[];
};

export type VendorPayoutRow = {
  vendorId: string;
  contactEmail: string | null;
  payoutAccountId: string | null;
  payoutsEnabled: boolean;
  payoutDetailsSubmitted: boolean;
  payoutDisabledReason: string | null;
  payoutRequirementsDue: string[] | null;
  payoutAccountUpdatedAt: string | null;
};

const payoutShape = {
  vendorId: vendors.id,
  contactEmail: vendors.contactEmail,
  payoutAccountId: vendors.payoutAccountId,
  payoutsEnabled: vendors.payoutsEnabled,
  payoutDetailsSubmitted: vendors.payoutDetailsSubmitted,
  payoutDisabledReason: vendors.payoutDisabledReason,
  payoutRequirementsDue: vendors.payoutRequirementsDue,
  payoutAccountUpdatedAt: vendors.payoutAccountUpdatedAt,
};

const readinessSet = (r: Readiness, at: string) => ({
  payoutsEnabled: r.payoutsEnabled,
  payoutDetailsSubmitted: r.detailsSubmitted,
  payoutDisabledReason: r.disabledReason,
  payoutRequirementsDue: r.requirementsDue,
  payoutAccountUpdatedAt: at,
});

/**
 * Readiness columns for a vendor given `accountId`: the provider's latest `account.updated` for
 * that account, if one came (Stripe sends one only when the account changes, so an account finished
 * before an admin linked it may never send another), else "not reported". For an INSERT or UPDATE.
 */
export function reportedReadiness(accountId: string | null) {
  // The latest report for the account, one field of it (json_extract turns JSON true into 1).
  const reported = (path: string, otherwise: SQL) =>
    accountId === null
      ? otherwise
      : sql`coalesce((select ${path === "occurredAt" ? sql`pe.occurred_at` : sql`json_extract(pe.readiness, ${`$.${path}`})`}
          from payout_events pe where pe.account_id = ${accountId} and pe.readiness is not null
          order by pe.occurred_at desc limit 1), ${otherwise})`;
  return {
    payoutsEnabled: reported("payoutsEnabled", sql`0`),
    payoutDetailsSubmitted: reported("detailsSubmitted", sql`0`),
    payoutDisabledReason: reported("disabledReason", sql`null`),
    payoutRequirementsDue: reported("requirementsDue", sql`null`),
    payoutAccountUpdatedAt: reported("occurredAt", sql`null`),
  };
}

/**
 * Readiness columns for an UPDATE that sets the vendor's account to `accountId`: kept when the account
 * stays the same, otherwise the account's own (`reportedReadiness`), since the old account's report
 * says nothing of the new one. The provider's next word on it (account.updated, or a set-up's
 * refresh) moves them on.
 */
export function readinessForAccount(accountId: string | null) {
  const reported = reportedReadiness(accountId);
  const kept = (column: SQLiteColumn, otherwise: SQL) =>
    sql`case when ${vendors.payoutAccountId} is ${accountId} then ${column} else ${otherwise} end`;
  return {
    payoutsEnabled: kept(vendors.payoutsEnabled, reported.payoutsEnabled),
    payoutDetailsSubmitted: kept(vendors.payoutDetailsSubmitted, reported.payoutDetailsSubmitted),
    payoutDisabledReason: kept(vendors.payoutDisabledReason, reported.payoutDisabledReason),
    payoutRequirementsDue: kept(vendors.payoutRequirementsDue, reported.payoutRequirementsDue),
    payoutAccountUpdatedAt: kept(vendors.payoutAccountUpdatedAt, reported.payoutAccountUpdatedAt),
  };
}

/**
 * Another vendor than `vendorId` that holds `accountId`, if any. An account is one vendor's: a second
 * holder would be handed onboarding links into the first's account (where its bank details are
 * edited) and moved by its account.updated events.
 */
export async function otherHolderOf(db: Db, accountId: string, vendorId: string | null): Promise<string | null> {
  const row = await db
    .select({ id: vendors.id })
    .from(vendors)
    .where(and(eq(vendors.payoutAccountId, accountId), vendorId === null ? undefined : ne(vendors.id, vendorId)))
    .limit(1)
    .get();
  return row?.id ?? null;
}

export async function vendorPayoutOf(db: Db, vendorId: string): Promise<VendorPayoutRow | undefined> {
  return db.select(payoutShape).from(vendors).where(eq(vendors.id, vendorId)).get();
}

/**
 * Keeps the account just created at the provider as the vendor's, only if the vendor has none yet:
 * of two set-ups racing, one account is kept (the provider's idempotency key makes them the same
 * account within a day). Answers the row as it stands after.
 */
export async function claimPayoutAccount(
  db: Db,
  vendorId: string,
  accountId: string,
  r: Readiness,
  at: string,
): Promise<VendorPayoutRow | undefined> {
  await db
    .update(vendors)
    .set({ payoutAccountId: accountId, ...readinessSet(r, at) })
    .where(and(eq(vendors.id, vendorId), isNull(vendors.payoutAccountId)));
  return vendorPayoutOf(db, vendorId);
}

/** Never moves readiness back to an older report: a late, out-of-order event loses to the newer one. */
const notOlder = (at: string): SQL =>
  or(isNull(vendors.payoutAccountUpdatedAt), sql`${vendors.payoutAccountUpdatedAt} <= ${at}`)!;

/** Readiness read from the provider now, for the vendor still holding that account. */
export async function refreshReadiness(db: Db, vendorId: string, accountId: string, r: Readiness, at: string) {
  await db
    .update(vendors)
    .set(readinessSet(r, at))
    .where(and(eq(vendors.id, vendorId), eq(vendors.payoutAccountId, accountId), notOlder(at)));
}

/** The readiness fields of a report, as `payout_events.readiness` keeps them. */
const readinessReported = (r: Readiness): Readiness => ({
  payoutsEnabled: r.payoutsEnabled,
  detailsSubmitted: r.detailsSubmitted,
  disabledReason: r.disabledReason,
  requirementsDue: r.requirementsDue,
});

const unseen = (eventId: string) =>
  sql`not exists (select 1 from ${payoutEvents} where ${payoutEvents.id} = ${eventId})`;

/**
 * An `account.updated` applied once: the readiness of whichever vendor holds the account moves
 * only if this event id is new and not older than what is stored, and the event is recorded in the
 * same batch, so a replay changes nothing.
 */
export function accountUpdatedStatements(
  db: Db,
  e: { eventId: string; type: string; accountId: string; readiness: Readiness; at: string; receivedAt: string },
): Statement[] {
  return [
    db
      .update(vendors)
      .set(readinessSet(e.readiness, e.at))
      .where(and(eq(vendors.payoutAccountId, e.accountId), unseen(e.eventId), notOlder(e.at))),
    db
      .insert(payoutEvents)
      .values({
        id: e.eventId,
        type: e.type,
        accountId: e.accountId,
        readiness: readinessReported(e.readiness),
        occurredAt: e.at,
        receivedAt: e.receivedAt,
      })
      .onConflictDoNothing(),
  ];
}

export type TransferEventRow = typeof payoutEvents.$inferInsert;

/** A transfer event kept once per event id, with the transfer's amounts and sub-order, for reconciliation. */
export function recordTransferEvent(db: Db, row: TransferEventRow): Statement {
  return db.insert(payoutEvents).values(row).onConflictDoNothing();
}

export async function findPayoutEvent(db: Db, eventId: string) {
  return db.select().from(payoutEvents).where(eq(payoutEvents.id, eventId)).get();
}

/** What the provider told us of a transfer, oldest first. */
export async function transferEvents(db: Db, transferId: string) {
  return db
    .select()
    .from(payoutEvents)
    .where(eq(payoutEvents.transferId, transferId))
    .orderBy(asc(payoutEvents.occurredAt), asc(payoutEvents.id))
    .all();
}
