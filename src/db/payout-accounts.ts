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
 * Of reports of the same second the one recorded last wins: it is the one a tie was settled on (a
 * read of the account made after the others were recorded, see `settledReportStatements`).
 */
export function reportedReadiness(accountId: string | null) {
  // The latest report for the account, one field of it (json_extract turns JSON true into 1).
  const reported = (path: string, otherwise: SQL) =>
    accountId === null
      ? otherwise
      : sql`coalesce((select ${path === "occurredAt" ? sql`pe.occurred_at` : sql`json_extract(pe.readiness, ${`$.${path}`})`}
          from payout_events pe where pe.account_id = ${accountId} and pe.readiness is not null
          order by pe.occurred_at desc, pe.rowid desc limit 1), ${otherwise})`;
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
 * account within a day). Its readiness is the account's own reports (`reportedReadiness`), never the
 * create's answer: for a day Stripe replays a key's first answer, so a vendor unlinked and set up
 * again gets the account as it was created, over an onboarding finished since. The caller then reads
 * the account (`refreshReadiness`). Answers the row as it stands after.
 */
export async function claimPayoutAccount(
  db: Db,
  vendorId: string,
  accountId: string,
): Promise<VendorPayoutRow | undefined> {
  await db
    .update(vendors)
    .set({ payoutAccountId: accountId, ...reportedReadiness(accountId) })
    .where(and(eq(vendors.id, vendorId), isNull(vendors.payoutAccountId)));
  return vendorPayoutOf(db, vendorId);
}

/**
 * Readiness moves only to a report newer than the stored one. Stripe stamps events in whole seconds
 * and does not order their delivery, so a report of the same second as the stored one is no proof
 * of being newer: it does not move readiness, and `sameSecondReport` has the account read instead.
 */
const newer = (at: string): SQL =>
  or(isNull(vendors.payoutAccountUpdatedAt), sql`${vendors.payoutAccountUpdatedAt} < ${at}`)!;

/** Never moves readiness back to an older report: a late, out-of-order event loses to the newer one. */
const notOlder = (at: string): SQL =>
  or(isNull(vendors.payoutAccountUpdatedAt), sql`${vendors.payoutAccountUpdatedAt} <= ${at}`)!;

/**
 * Readiness read from the provider at `at` (taken before the read), for the vendor still holding that
 * account. A report of the same second stays: the read may have come before the change it reports,
 * and a later change of that second settles through its own event (`sameSecondReport`).
 */
export async function refreshReadiness(db: Db, vendorId: string, accountId: string, r: Readiness, at: string) {
  await db
    .update(vendors)
    .set(readinessSet(r, at))
    .where(and(eq(vendors.id, vendorId), eq(vendors.payoutAccountId, accountId), newer(at)));
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
 * only if this event id is new and newer than what is stored, and the event is recorded in the
 * same batch, so a replay changes nothing. A tie is settled after (`sameSecondReport`).
 */
export function accountUpdatedStatements(
  db: Db,
  e: { eventId: string; type: string; accountId: string; readiness: Readiness; at: string; receivedAt: string },
): Statement[] {
  return [
    db
      .update(vendors)
      .set(readinessSet(e.readiness, e.at))
      .where(and(eq(vendors.payoutAccountId, e.accountId), unseen(e.eventId), newer(e.at))),
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

const sameReadiness = (a: Readiness, b: Readiness) =>
  JSON.stringify(readinessReported(a)) === JSON.stringify(readinessReported(b));

/**
 * Whether the account's `account.updated` at `at`, just recorded, cannot be told apart in time from
 * another report: another event of the account of the same second (Stripe stamps whole seconds and
 * may deliver them in any order, or at once), or a holder's readiness of that second that differs
 * from this one (a set-up's read, or an event, that this one did not move). Its body may then be
 * older than what is stored; only a read of the account settles it.
 */
export async function sameSecondReport(
  db: Db,
  e: { eventId: string; accountId: string; readiness: Readiness; at: string },
): Promise<boolean> {
  const sibling = await db
    .select({ id: payoutEvents.id })
    .from(payoutEvents)
    .where(
      and(
        eq(payoutEvents.accountId, e.accountId),
        eq(payoutEvents.occurredAt, e.at),
        ne(payoutEvents.id, e.eventId),
        sql`${payoutEvents.readiness} is not null`,
      ),
    )
    .limit(1)
    .get();
  if (sibling) return true;
  const holder = await db.select(payoutShape).from(vendors).where(eq(vendors.payoutAccountId, e.accountId)).get();
  return (
    holder?.payoutAccountUpdatedAt === e.at &&
    !sameReadiness(e.readiness, {
      payoutsEnabled: holder.payoutsEnabled,
      detailsSubmitted: holder.payoutDetailsSubmitted,
      disabledReason: holder.payoutDisabledReason,
      requirementsDue: holder.payoutRequirementsDue ?? [],
    })
  );
}

/**
 * A tie settled by reading the account after the event was recorded: the read is at least as new as
 * every report of that second recorded so far, so it is what the holder gets, stamped with the
 * event's own second (the provider's clock, which the events it is compared with carry; a report of
 * that second does not stop it, a newer one does), and what the event's row keeps for a vendor
 * linked to the account later: of that second's rows the last recorded is settled last, by a read
 * made after the others were recorded (`reportedReadiness`).
 */
export function settledReportStatements(
  db: Db,
  e: { eventId: string; accountId: string; readiness: Readiness; at: string },
): Statement[] {
  return [
    db
      .update(vendors)
      .set(readinessSet(e.readiness, e.at))
      .where(and(eq(vendors.payoutAccountId, e.accountId), notOlder(e.at))),
    db
      .update(payoutEvents)
      .set({ readiness: readinessReported(e.readiness) })
      .where(eq(payoutEvents.id, e.eventId)),
  ];
}

export type TransferEventRow = typeof payoutEvents.$inferInsert;

/** A transfer event kept once per event id, with the transfer's amounts and sub-order, for reconciliation. */
export function recordTransferEvent(db: Db, row: TransferEventRow): Statement {
  return db.insert(payoutEvents).values(row).onConflictDoNothing();
}

/** Forgets an event, so its redelivery is applied as new (a tie its account read could not settle). */
export async function forgetPayoutEvent(db: Db, eventId: string) {
  await db.delete(payoutEvents).where(eq(payoutEvents.id, eventId));
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
