import { and, asc, desc, eq, getTableColumns, inArray, isNotNull, lte, type SQL, sql } from "drizzle-orm";
import { type Journal, journalId } from "../domain/ledger";
import type { DueSubOrder, Hold, KnownTransfer, PeriodFigures, VendorPayoutState } from "../domain/payout-plan";
import { selectIn } from "./chunks";
import type { Db, Statement } from "./client";
import { postJournal } from "./ledger";
import { type After, afterKey, keyOrder, type Page, toPage } from "./paging";
import {
  ledgerEntries,
  ledgerJournals,
  orders,
  payments,
  payoutHolds,
  payoutRuns,
  payoutTransfers,
  pendingRefunds,
  refunds,
  subOrders,
  vendors,
} from "./schema";

/**
 * The payout run's store: the run and its lease, the transfers it makes (each written with its
 * ledger journal in one batch), what it held back, and the figures its reconciliation compares.
 */

export type PayoutRun = typeof payoutRuns.$inferSelect;
export type PayoutTransfer = typeof payoutTransfers.$inferSelect;

const changed = (r: unknown) => ((r as { meta?: { changes?: number } }).meta?.changes ?? 0) > 0;

/**
 * Starts a run unless another holds the lease. A run whose lease lapsed (its invocation died) is
 * closed as interrupted first; its pending transfers are repaired by the run that follows.
 */
export async function startRun(
  db: Db,
  run: { id: string; currency: string; periodFrom: string; periodBefore: string; now: string; leaseUntil: string },
): Promise<boolean> {
  const [, inserted] = await db.batch([
    db
      .update(payoutRuns)
      .set({ status: "interrupted", finishedAt: run.now, problems: ["the run stopped before it finished"] })
      .where(and(eq(payoutRuns.status, "running"), sql`${payoutRuns.leaseUntil} <= ${run.now}`)),
    db
      .insert(payoutRuns)
      .select(
        sql`select ${run.id}, 'running', ${run.currency}, ${run.periodFrom}, ${run.periodBefore}, ${run.leaseUntil}, null, null, 0, 0, 0, 0, 0, 0, 0, ${run.now}, null, null where not exists (select 1 from ${payoutRuns} where ${payoutRuns.status} = 'running')`,
      ),
  ]);
  return changed(inserted);
}

/** The running run, if its lease still holds at `now`. */
export async function liveRun(db: Db, now: string): Promise<PayoutRun | undefined> {
  return db
    .select()
    .from(payoutRuns)
    .where(and(eq(payoutRuns.status, "running"), sql`${payoutRuns.leaseUntil} > ${now}`))
    .get();
}

/** Extends the lease of a run still running; false when it was closed meanwhile. */
export async function renewLease(db: Db, runId: string, until: string): Promise<boolean> {
  const r = await db
    .update(payoutRuns)
    .set({ leaseUntil: until })
    .where(and(eq(payoutRuns.id, runId), eq(payoutRuns.status, "running")));
  return changed(r);
}

export type RunTally = {
  pages: number;
  transfers: number;
  transferredMinor: number;
  held: number;
  reversals: number;
  reversedMinor: number;
  carriedMinor: number;
};

/** Adds a page's counts to the run (only while `onlyIf` holds, when given). */
export function tallyRun(db: Db, runId: string, t: RunTally, onlyIf?: SQL): Statement {
  return db
    .update(payoutRuns)
    .set({
      transfers: sql`${payoutRuns.transfers} + ${t.transfers}`,
      transferredMinor: sql`${payoutRuns.transferredMinor} + ${t.transferredMinor}`,
      held: sql`${payoutRuns.held} + ${t.held}`,
      pages: sql`${payoutRuns.pages} + ${t.pages}`,
      reversals: sql`${payoutRuns.reversals} + ${t.reversals}`,
      reversedMinor: sql`${payoutRuns.reversedMinor} + ${t.reversedMinor}`,
      carriedMinor: sql`${payoutRuns.carriedMinor} + ${t.carriedMinor}`,
    })
    .where(and(eq(payoutRuns.id, runId), onlyIf));
}

/** The transfer is still pending: its confirmation or failure has not been written. */
const isPending = (transferId: string) =>
  sql`exists (select 1 from ${payoutTransfers} where ${payoutTransfers.id} = ${transferId} and ${payoutTransfers.status} = 'pending')`;

/**
 * Counts a confirmed transfer in the totals of the run it was written for, whoever confirms it: that
 * run's page on the provider's answer, or a later run's settlement of it left pending (its run died,
 * or its answer came back after its lease lapsed). Put before its confirmation in one batch: it counts
 * only while the row is still pending, so the transfer counts once however many confirm it.
 */
export function tallySettled(db: Db, t: { id: string; runId: string; amountMinor: number }): Statement {
  const none = { pages: 0, held: 0, reversals: 0, reversedMinor: 0, carriedMinor: 0 };
  return tallyRun(db, t.runId, { ...none, transfers: 1, transferredMinor: t.amountMinor }, isPending(t.id));
}

/** The reconciliation's outcome; `listedBefore` only when it held (`problems` empty). */
export async function recordFigures(
  db: Db,
  runId: string,
  figures: Record<string, number>,
  problems: string[],
  listedBefore: string,
) {
  await db
    .update(payoutRuns)
    .set({ figures, problems, listedBefore: problems.length === 0 ? listedBefore : null })
    .where(eq(payoutRuns.id, runId));
}

/** Up to when (the provider's clock) the last reconciliation that held had listed the provider's records. */
export async function lastListedBefore(db: Db): Promise<string | null> {
  const row = await db
    .select({ at: sql<string | null>`max(${payoutRuns.listedBefore})` })
    .from(payoutRuns)
    .get();
  return row?.at ?? null;
}

/** The provider's processing fees the ledger holds for charges made in [from, before). */
export async function providerFeesIn(db: Db, from: string, before: string): Promise<number> {
  const row = await db
    .select({ minor: sql<number>`coalesce(sum(${ledgerEntries.amountMinor}), 0)` })
    .from(ledgerEntries)
    .where(
      and(
        eq(ledgerEntries.account, "provider_fees"),
        // Compared to the second: the provider's times carry milliseconds, the run's do not.
        sql`substr(${ledgerEntries.at}, 1, 19) >= substr(${from}, 1, 19)`,
        sql`substr(${ledgerEntries.at}, 1, 19) < substr(${before}, 1, 19)`,
      ),
    )
    .get();
  return Number(row?.minor ?? 0);
}

export async function finishRun(
  db: Db,
  runId: string,
  status: "paid" | "halted",
  now: string,
  extra: Statement[] = [],
) {
  await db.batch([
    db
      .update(payoutRuns)
      .set({ status, finishedAt: now })
      .where(and(eq(payoutRuns.id, runId), eq(payoutRuns.status, "running"))),
    ...extra,
  ]);
}

/** When the ledger's first capture was posted: reconciliation never reaches before the ledger began. */
export async function ledgerStart(db: Db): Promise<string | null> {
  const row = await db
    .select({ at: sql<string | null>`min(${ledgerJournals.at})` })
    .from(ledgerJournals)
    .where(eq(ledgerJournals.kind, "payment_captured"))
    .get();
  return row?.at ?? null;
}

/**
 * The period's figures: payments captured in [from, before) by their capture journal (and any
 * succeeded payment made in the period that has none, so a capture the ledger missed shows; one
 * made before it, such as one from before the ledger began, is changed in the period only by a
 * refund, which must not halt every run for 35 days), against everything the ledger holds for
 * those payments' orders since.
 */
export async function periodFigures(db: Db, from: string, before: string): Promise<PeriodFigures> {
  const captured = sql`(
    select j.payment_id from ${ledgerJournals} j
      where j.kind = 'payment_captured' and j.at >= ${from} and j.at < ${before}
    union
    select p.id from ${payments} p
      where p.status = 'succeeded' and p.updated_at >= ${from} and p.updated_at < ${before}
        and not exists (select 1 from ${ledgerJournals} j where j.id = 'payment_captured:' || p.id)
        and p.created_at >= ${from}
  )`;
  const row = await db
    .select({
      capturedMinor: sql<number>`(select coalesce(sum(p.amount_minor), 0) from ${payments} p where p.id in ${captured})`,
      refundRecordsMinor: sql<number>`(select coalesce(sum(r.amount_minor), 0) from ${refunds} r where r.payment_id in ${captured})`,
      vendorNetsMinor: sql<number>`coalesce(-sum(case when e.account in ('vendor_payable','vendor_transfer_pending','vendor_paid','vendor_carry_forward') then e.amount_minor end), 0)`,
      platformFeesMinor: sql<number>`coalesce(-sum(case when e.account = 'platform_fees' then e.amount_minor end), 0)`,
      refundsMinor: sql<number>`coalesce(-sum(case when e.account = 'refunds' then e.amount_minor end), 0)`,
      reassignmentCostMinor: sql<number>`coalesce(sum(case when e.account = 'platform_reassignment_cost' then e.amount_minor end), 0)`,
    })
    // Through the journals' order index, then each journal's entries by its key.
    .from(sql`${ledgerJournals} oj join ${ledgerEntries} e on e.journal_id = oj.id`)
    .where(sql`oj.order_id in (select p.order_id from ${payments} p where p.id in ${captured})`)
    .get();
  const n = (v: unknown) => Number(v ?? 0);
  return {
    capturedMinor: n(row?.capturedMinor),
    vendorNetsMinor: n(row?.vendorNetsMinor),
    platformFeesMinor: n(row?.platformFeesMinor),
    refundsMinor: n(row?.refundsMinor),
    reassignmentCostMinor: n(row?.reassignmentCostMinor),
    refundRecordsMinor: n(row?.refundRecordsMinor),
  };
}

const known = {
  subOrderId: payoutTransfers.subOrderId,
  amountMinor: payoutTransfers.amountMinor,
  destination: payoutTransfers.destination,
  providerTransferId: payoutTransfers.providerTransferId,
};

/**
 * Transfers the ledger says were made in [from, before): its confirmed transfer journals, with the
 * provider's id, destination and time from the transfer they confirm (the provider's clock, what its
 * list filters on). A journal with no transfer behind it still counts, and finds no provider record.
 */
export async function paidTransfersIn(db: Db, from: string, before: string): Promise<KnownTransfer[]> {
  const rows = await db
    .select({
      subOrderId: sql<string>`e.sub_order_id`,
      amountMinor: sql<number>`-e.amount_minor`,
      destination: sql<string>`coalesce(pt.destination, '')`,
      providerTransferId: sql<string | null>`pt.provider_transfer_id`,
    })
    .from(sql`${ledgerJournals} j`)
    .innerJoin(sql`${ledgerEntries} e`, sql`e.journal_id = j.id and e.account = 'vendor_paid'`)
    .leftJoin(sql`${payoutTransfers} pt`, sql`pt.id = j.transfer_id`)
    .where(
      // Compared to the second: the provider's times carry milliseconds, the ledger's do not.
      sql`j.kind = 'transfer_confirmed' and substr(coalesce(pt.provider_created_at, j.at), 1, 19) >= substr(${from}, 1, 19) and substr(coalesce(pt.provider_created_at, j.at), 1, 19) < substr(${before}, 1, 19)`,
    );
  return rows.map((r) => ({ ...r, amountMinor: Number(r.amountMinor) }));
}

/** The live (pending or paid) transfers of these sub-orders, whenever they were made. */
export async function liveTransfersOf(db: Db, subOrderIds: readonly string[]): Promise<KnownTransfer[]> {
  return selectIn(db, subOrderIds, (ids) =>
    db
      .select(known)
      .from(payoutTransfers)
      .where(and(inArray(payoutTransfers.subOrderId, ids), sql`${payoutTransfers.status} <> 'failed'`)),
  );
}

/** Which of these transfer ids were written: a pending row that lost to another live transfer of its sub-order is not. */
export async function writtenTransferIds(db: Db, transferIds: readonly string[]): Promise<Set<string>> {
  const rows = await selectIn(db, transferIds, (ids) =>
    db.select({ id: payoutTransfers.id }).from(payoutTransfers).where(inArray(payoutTransfers.id, ids)),
  );
  return new Set(rows.map((r) => r.id));
}

// Correlated subqueries name their outer column in plain SQL: drizzle writes a column of a one-table
// select unqualified, which inside the subquery would bind to the subquery's own table.
const payableOf = (outer: "sub_orders.id" | "payout_transfers.sub_order_id") =>
  sql<number>`coalesce((select -sum(le.amount_minor) from ${ledgerEntries} le where le.sub_order_id = ${sql.raw(outer)} and le.account = 'vendor_payable'), 0)`;

/** An outer column named in plain SQL, or a value (a row about to be written has no column yet). */
const outerRef = (outer: string | SQL) => (typeof outer === "string" ? sql.raw(outer) : outer);

/**
 * No refund of the sub-order `outer` names is still owed: one owed is not in the books yet; a
 * retry's is (the provider failed it after making it): its vendor's side is netted already, and the
 * shopper's card is not its concern.
 */
export const noRefundOwed = (outer: "sub_orders.id" | "payout_transfers.sub_order_id" | SQL) =>
  sql`not exists (select 1 from ${pendingRefunds} pr where pr.sub_order_id = ${outerRef(outer)} and pr.settled_at is null and pr.kind <> 'retry')`;

/** The order `orderColumn` names is not held for review: one ops hold (suspected fraud, say) pays nobody. */
export const notReviewHeld = (orderColumn: "sub_orders.order_id" | "payout_transfers.order_id" | SQL) =>
  sql`not exists (select 1 from ${orders} o where o.id = ${outerRef(orderColumn)} and o.review_held = 1)`;

/**
 * The vendor's account as the provider last reported it can be paid (`planPayouts` holds a vendor
 * whose account is not): payouts enabled and onboarding submitted. `v` names the vendors row.
 */
const accountReady = (v: "vendors" | "v") =>
  sql`(${sql.raw(v)}.payouts_enabled = 1 and ${sql.raw(v)}.payout_details_submitted = 1)`;

/**
 * The vendor of the pending transfer is still paid at its destination: the account is still the
 * vendor's (ops may have re-linked it, and the old one given to another vendor) and still ready, and
 * the vendor is not suspended (a suspended vendor's earnings are held back until it is reinstated).
 */
const payableAtDestination = sql`exists (select 1 from ${vendors} v where v.id = payout_transfers.vendor_id
  and v.payout_account_id = payout_transfers.destination and ${accountReady("v")} and v.status = 'active')`;

/** Who a sub-order's money is between, as the payout reads select it. */
const subOrderHead = {
  subOrderId: subOrders.id,
  orderId: subOrders.orderId,
  vendorId: subOrders.vendorId,
  currency: subOrders.currency,
};

/**
 * What is left of the charge of the order `sub_orders` names for transfers drawing on it: less what
 * was refunded and what its live transfers drew (a reversal is not counted back: the provider bounds
 * a charge's transfers by what they moved), through the sub-orders' index and the live-transfer one.
 */
const chargeLeftOf = sql<number>`(select p.amount_minor - p.refunded_minor - coalesce((select sum(pt.amount_minor)
  from ${subOrders} s join ${payoutTransfers} pt on pt.sub_order_id = s.id and pt.status <> 'failed'
  where s.order_id = p.order_id and pt.source_transaction = p.charge_id), 0)
  from ${payments} p where p.order_id = sub_orders.order_id)`;

/**
 * Delivered (or since returned) sub-orders past the hold with no live transfer and no refund still
 * owed to the shopper (a return whose refund the provider failed: its goods are not the vendor's to
 * be paid for until the refund and its ledger posting land), and with something left to pay by
 * the ledger (not once refunds took it all, a carried debt was set off against it, or it was
 * captured before the ledger), oldest delivery first, after `after`; each with what its vendor is
 * owed, and what is left of each one's order charge (`fundFromCharges`).
 */
export async function dueSubOrders(
  db: Db,
  q: { deliveredBefore: string; after?: After; limit: number },
): Promise<{
  scanned: { deliveredAt: string; id: string }[];
  due: DueSubOrder[];
  chargesLeft: Map<string, number>;
}> {
  const rows = await db
    .select({
      ...subOrderHead,
      deliveredAt: subOrders.deliveredAt,
      sourceTransaction: sql<
        string | null
      >`(select p.charge_id from ${payments} p where p.order_id = sub_orders.order_id)`,
      chargeLeftMinor: chargeLeftOf,
      payableMinor: payableOf("sub_orders.id"),
    })
    .from(subOrders)
    .where(
      and(
        isNotNull(subOrders.deliveredAt),
        lte(subOrders.deliveredAt, q.deliveredBefore),
        inArray(subOrders.status, ["delivered", "returned"]),
        afterKey(subOrders.deliveredAt, subOrders.id, q.after),
        sql`not exists (select 1 from ${payoutTransfers} pt where pt.sub_order_id = sub_orders.id and pt.status <> 'failed')`,
        noRefundOwed("sub_orders.id"),
        notReviewHeld("sub_orders.order_id"),
        // Nothing left to pay (refunded, set off, captured before the ledger) is never due again:
        // left to the page, such rows would fill every run's first pages for ever.
        sql`${payableOf("sub_orders.id")} > 0`,
      ),
    )
    .orderBy(...keyOrder(subOrders.deliveredAt, subOrders.id))
    .limit(q.limit);
  return {
    scanned: rows.map((r) => ({ deliveredAt: r.deliveredAt ?? "", id: r.subOrderId })),
    due: rows.map(({ deliveredAt: _d, chargeLeftMinor: _c, ...r }) => ({ ...r, payableMinor: Number(r.payableMinor) })),
    chargesLeft: new Map(rows.map((r) => [r.orderId, Number(r.chargeLeftMinor ?? 0)])),
  };
}

/**
 * Each vendor's account and readiness, its carried debt (the debit balance of its carry-forward
 * account), and whether it is suspended (`holdSuspended` holds back what it would be transferred).
 */
export async function vendorPayoutStates(
  db: Db,
  vendorIds: readonly string[],
): Promise<Map<string, VendorPayoutState & { suspended: boolean }>> {
  const rows = await selectIn(db, [...new Set(vendorIds)], (ids) =>
    db
      .select({
        id: vendors.id,
        status: vendors.status,
        accountId: vendors.payoutAccountId,
        ready: sql<number>`${accountReady("vendors")}`,
        detailsSubmitted: vendors.payoutDetailsSubmitted,
        disabledReason: vendors.payoutDisabledReason,
        requirementsDue: vendors.payoutRequirementsDue,
        debt: sql<number>`coalesce((select sum(le.amount_minor) from ${ledgerEntries} le where le.vendor_id = vendors.id and le.account = 'vendor_carry_forward'), 0)`,
      })
      .from(vendors)
      .where(inArray(vendors.id, ids)),
  );
  return new Map(
    rows.map((r) => {
      const due = r.requirementsDue?.length ? `requirements due: ${r.requirementsDue.join(", ")}` : null;
      return [
        r.id,
        {
          accountId: r.accountId,
          ready: Boolean(r.ready),
          notReadyBecause: r.disabledReason ?? due ?? (r.detailsSubmitted ? null : "onboarding not finished"),
          carriedDebtMinor: Number(r.debt),
          suspended: r.status === "suspended",
        },
      ];
    }),
  );
}

export type NewTransfer = {
  id: string;
  runId: string;
  subOrderId: string;
  orderId: string;
  vendorId: string;
  destination: string;
  payableMinor: number;
  carryForwardMinor: number;
  amountMinor: number;
  currency: string;
  createdAt: string;
  /** The order's charge it draws on, or null: from the platform's balance. */
  sourceTransaction: string | null;
};

/** The sub-order's payable now (credit positive), by its id. */
const payableNow = (subOrderId: string) =>
  sql`coalesce((select -sum(le.amount_minor) from ${ledgerEntries} le where le.sub_order_id = ${subOrderId} and le.account = 'vendor_payable'), 0)`;

/** The vendor's carried debt now (the debit balance of its carry-forward account). */
const carriedDebtNow = (vendorId: string) =>
  sql`coalesce((select sum(le.amount_minor) from ${ledgerEntries} le where le.vendor_id = ${vendorId} and le.account = 'vendor_carry_forward'), 0)`;

/**
 * The state a page's plan was built on still holds when its batch writes: the sub-order's payable is
 * still what was read and the vendor's carried debt still covers what the plan takes from it. The
 * page reads the due sub-orders and the vendors' debt in two queries and a set-off writes no transfer
 * row, so a page delivered twice can read a sub-order as due and its vendor's debt as already paid
 * down by the other delivery's set-off of that very sub-order: unguarded, it would transfer money the
 * set-off had already spent. A batch is one transaction, so each guard sees the writes before it:
 * a plan's own set-offs and nettings take from the debt in turn and never exceed it together.
 */
const stillAsPlanned = (p: { subOrderId: string; vendorId: string; payableMinor: number }, debtTakenMinor: number) =>
  sql`(${payableNow(p.subOrderId)} = ${p.payableMinor} and ${carriedDebtNow(p.vendorId)} >= ${debtTakenMinor})`;

/** The vendor is not suspended as the batch writes: a suspension landing after the plan read it stops its transfers. */
const vendorActive = (vendorId: string) =>
  sql`exists (select 1 from ${vendors} v where v.id = ${vendorId} and v.status = 'active')`;

/**
 * The sub-order is still due as the batch writes, by the rules `dueSubOrders` reads it by: its order
 * not held for review and no refund of it owed. Either landing after the plan read it stops its
 * transfer or set-off.
 */
const stillDue = (t: { subOrderId: string; orderId: string }) =>
  sql`(${notReviewHeld(sql`${t.orderId}`)} and ${noRefundOwed(sql`${t.subOrderId}`)})`;

/**
 * The first phase: the transfer row and its pending journal, together or not at all, and only while
 * the state the plan read still holds (`stillAsPlanned`), the sub-order is still due (`stillDue`)
 * and the vendor is not suspended: a plan built on stale reads writes no row, so its invocation asks
 * the provider nothing. The row is written by a select so it can carry the guard (an insert of
 * values cannot); its columns go in the table's order, as drizzle names them.
 */
export function pendingTransferStatements(db: Db, t: NewTransfer, journal: Journal): Statement[] {
  const row: Record<string, unknown> = { ...t, status: "pending" };
  const values = Object.entries(getTableColumns(payoutTransfers)).map(([key, column]) =>
    row[key] === undefined
      ? column.default == null
        ? sql`null`
        : sql`${column.default}`
      : sql.param(row[key], column),
  );
  return [
    db
      .insert(payoutTransfers)
      .select(
        sql`select ${sql.join(values, sql`, `)} where ${stillAsPlanned(t, t.carryForwardMinor)} and ${stillDue(t)} and ${vendorActive(t.vendorId)}`,
      )
      .onConflictDoNothing(),
    ...postJournal(db, journal, isPending(t.id)),
  ];
}

/**
 * A due sub-order set off whole against its vendor's carried debt: its journal and its hold (the
 * reason it was not transferred), only while its payable is still what the plan read and the debt
 * still covers it, so a plan built on stale reads neither spends a debt twice nor sets off a payable
 * another invocation has moved, and only while it is still due (`stillDue`): a sub-order held for
 * review or owing a refund is not the vendor's to pay a debt with yet. The vendor's suspension does
 * not stop it (`holdSuspended`: it moves no money to the vendor). The hold is written only with the
 * journal.
 */
export function setOffStatements(db: Db, runId: string, s: Hold & { orderId: string }, journal: Journal): Statement[] {
  return [
    ...postJournal(db, journal, sql`${stillAsPlanned(s, s.payableMinor)} and ${stillDue(s)}`),
    db
      .insert(payoutHolds)
      .select(
        sql`select ${runId}, ${s.subOrderId}, ${s.vendorId}, ${s.payableMinor}, ${s.reason} where exists (select 1 from ${ledgerJournals} where ${ledgerJournals.id} = ${journalId(journal.kind, journal.sourceId)})`,
      )
      .onConflictDoNothing(),
  ];
}

/** The second phase: the provider made it. Guarded so a confirmation replayed after a repair changes nothing. */
export function confirmTransferStatements(
  db: Db,
  t: { id: string; providerTransferId: string; providerCreatedAt: string; now: string },
  journal: Journal,
): Statement[] {
  return [
    ...postJournal(db, journal, isPending(t.id)),
    db
      .update(payoutTransfers)
      .set({
        status: "paid",
        providerTransferId: t.providerTransferId,
        providerCreatedAt: t.providerCreatedAt,
        confirmedAt: t.now,
      })
      .where(and(eq(payoutTransfers.id, t.id), eq(payoutTransfers.status, "pending"))),
  ];
}

/** The provider refused the transfer: its pending journal is undone and the sub-order is due again. */
export function failTransferStatements(db: Db, t: { id: string; failure: string }, journal: Journal): Statement[] {
  return [
    ...postJournal(db, journal, isPending(t.id)),
    db
      .update(payoutTransfers)
      .set({ status: "failed", failure: t.failure })
      .where(and(eq(payoutTransfers.id, t.id), eq(payoutTransfers.status, "pending"))),
  ];
}

export function holdStatements(db: Db, runId: string, holds: readonly Hold[]): Statement[] {
  if (holds.length === 0) return [];
  // Five parameters a row: twenty rows an insert stay inside D1's hundred.
  const out: Statement[] = [];
  for (let i = 0; i < holds.length; i += 19) {
    out.push(
      db
        .insert(payoutHolds)
        .values(holds.slice(i, i + 19).map((h) => ({ runId, ...h })))
        .onConflictDoNothing(),
    );
  }
  return out;
}

/** The payments behind these charges, for the provider's fee on each. */
export async function paymentsByCharge(db: Db, chargeIds: readonly string[]) {
  return selectIn(db, chargeIds, (ids) =>
    db
      .select({
        paymentId: payments.id,
        orderId: payments.orderId,
        chargeId: payments.chargeId,
        currency: payments.currency,
      })
      .from(payments)
      .where(inArray(payments.chargeId, ids)),
  );
}

/** Transfers written but not confirmed: a run died between asking the provider and recording its answer. */
export async function pendingTransfers(db: Db, limit: number): Promise<(PayoutTransfer & { stillDue: boolean })[]> {
  const rows = await db
    .select({
      ...getTableColumns(payoutTransfers),
      // Due now as the run found it then: nothing refunded since (the payable it moved left none
      // behind, so a refund since leaves it negative), no refund owed, the order not held for review,
      // and its destination still the vendor's account and still ready, as the run's own pay step asks.
      stillDue: sql<number>`(${payableOf("payout_transfers.sub_order_id")} >= 0
        and ${noRefundOwed("payout_transfers.sub_order_id")} and ${notReviewHeld("payout_transfers.order_id")}
        and ${payableAtDestination})`,
    })
    .from(payoutTransfers)
    .where(eq(payoutTransfers.status, "pending"))
    .orderBy(asc(payoutTransfers.createdAt), asc(payoutTransfers.id))
    .limit(limit);
  return rows.map((r) => ({ ...r, stillDue: Boolean(r.stillDue) }));
}

/** The sub-orders a refund was posted for since `since`. */
const refundedSince = (since: string) =>
  sql`(select e.sub_order_id from ${ledgerEntries} e join ${ledgerJournals} j on j.id = e.journal_id where j.kind = 'refund' and j.at >= ${since} and e.sub_order_id is not null)`;

/**
 * The latest refund of the sub-order `outer` names, which a carry and a reversal name: latest by
 * time, then by when it was posted (a journal's time is to the second, and the pending-refunds job
 * stamps a tick's refunds with the cron's scheduled time, so a later refund can share or precede an
 * earlier one's).
 */
const latestRefundOf = (outer: "sub_orders.id" | "payout_transfers.sub_order_id") =>
  sql<
    string | null
  >`(select j.refund_id from ${ledgerJournals} j join ${ledgerEntries} e on e.journal_id = j.id where e.sub_order_id = ${sql.raw(outer)} and j.kind = 'refund' order by j.at desc, j.rowid desc limit 1)`;

/**
 * How many refunds the sub-order `outer` names has had. A carry is keyed by it with the latest
 * refund: each refund since the last carry makes a new key whatever the times and whichever refund
 * is read as the latest, so the debit it leaves is carried, while a rerun in the same state finds
 * its key taken.
 */
const refundCountOf = (outer: "sub_orders.id" | "payout_transfers.sub_order_id") =>
  sql<number>`(select count(distinct j.id) from ${ledgerJournals} j join ${ledgerEntries} e on e.journal_id = j.id where e.sub_order_id = ${sql.raw(outer)} and j.kind = 'refund')`;

export type OwedBack = PayoutTransfer & { owedBackMinor: number; refundId: string | null; refunds: number };

/**
 * Paid transfers whose sub-order was refunded after them (by a refund posted since `since`) so the
 * vendor now owes the platform: its payable is a debit. The latest refund names what is taken back.
 */
export async function owedBack(db: Db, since: string, limit: number): Promise<OwedBack[]> {
  const rows = await db
    .select({
      t: payoutTransfers,
      owedBackMinor: sql<number>`-(${payableOf("payout_transfers.sub_order_id")})`,
      refundId: latestRefundOf("payout_transfers.sub_order_id"),
      refunds: refundCountOf("payout_transfers.sub_order_id"),
    })
    .from(payoutTransfers)
    .where(
      and(
        eq(payoutTransfers.status, "paid"),
        sql`${payoutTransfers.subOrderId} in ${refundedSince(since)}`,
        sql`${payableOf("payout_transfers.sub_order_id")} < 0`,
      ),
    )
    .orderBy(asc(payoutTransfers.createdAt), asc(payoutTransfers.id))
    .limit(limit);
  return rows.map((r) => ({
    ...r.t,
    owedBackMinor: Number(r.owedBackMinor),
    refundId: r.refundId,
    refunds: Number(r.refunds),
  }));
}

/** A sub-order whose vendor owes the platform with no transfer to take it back from. */
export type OwedWithoutTransfer = {
  subOrderId: string;
  orderId: string;
  vendorId: string;
  currency: string;
  owedBackMinor: number;
  refundId: string | null;
  refunds: number;
};

/**
 * Sub-orders refunded since `since` whose payable is in debit though nothing was transferred for
 * them: one set off against a carried debt (its payable paid the debt down) and returned after.
 * The vendor owes the refund back; with no transfer to reverse it is carried as debt again.
 */
export async function owedBackWithoutTransfer(db: Db, since: string, limit: number): Promise<OwedWithoutTransfer[]> {
  const rows = await db
    .select({
      ...subOrderHead,
      owedBackMinor: sql<number>`-(${payableOf("sub_orders.id")})`,
      refundId: latestRefundOf("sub_orders.id"),
      refunds: refundCountOf("sub_orders.id"),
    })
    .from(subOrders)
    .where(
      and(
        sql`${subOrders.id} in ${refundedSince(since)}`,
        sql`${payableOf("sub_orders.id")} < 0`,
        sql`not exists (select 1 from ${payoutTransfers} pt where pt.sub_order_id = sub_orders.id and pt.status <> 'failed')`,
      ),
    )
    .orderBy(asc(subOrders.id))
    .limit(limit);
  return rows.map((r) => ({ ...r, owedBackMinor: Number(r.owedBackMinor), refunds: Number(r.refunds) }));
}

/** A reversal (or the carry-forward that replaces one) with the transfer's reversed total re-read from the ledger. */
export function reversedStatements(db: Db, transferId: string, subOrderId: string, journal: Journal): Statement[] {
  return [
    ...postJournal(db, journal),
    db
      .update(payoutTransfers)
      .set({
        reversedMinor: sql`coalesce((select sum(le.amount_minor) from ${ledgerEntries} le where le.sub_order_id = ${subOrderId} and le.account = 'vendor_paid' and le.component = 'reversal'), 0)`,
      })
      .where(eq(payoutTransfers.id, transferId)),
  ];
}

// ---- reads for ops and vendors ----

export async function listRuns(db: Db, q: { limit: number; after?: After }): Promise<Page<PayoutRun>> {
  const rows = await db
    .select()
    .from(payoutRuns)
    .where(afterKey(payoutRuns.startedAt, payoutRuns.id, q.after, "desc"))
    .orderBy(...keyOrder(payoutRuns.startedAt, payoutRuns.id, "desc"))
    .limit(q.limit + 1);
  return toPage(
    rows,
    q.limit,
    (r) => ({ key: r.startedAt, id: r.id }),
    (r) => r,
  );
}

export async function findRun(db: Db, runId: string): Promise<PayoutRun | undefined> {
  return db.select().from(payoutRuns).where(eq(payoutRuns.id, runId)).get();
}

/** The latest run that finished or stopped, for the ops dashboard's banner. */
export async function latestClosedRun(db: Db): Promise<PayoutRun | undefined> {
  return db
    .select()
    .from(payoutRuns)
    .where(sql`${payoutRuns.status} <> 'running'`)
    .orderBy(desc(payoutRuns.startedAt), desc(payoutRuns.id))
    .limit(1)
    .get();
}

/** What a run held back, summed per vendor and reason. */
export async function heldByVendor(db: Db, runId: string, vendorId?: string) {
  return db
    .select({
      vendorId: payoutHolds.vendorId,
      reason: payoutHolds.reason,
      subOrders: sql<number>`count(*)`,
      payableMinor: sql<number>`sum(${payoutHolds.payableMinor})`,
    })
    .from(payoutHolds)
    .where(and(eq(payoutHolds.runId, runId), vendorId ? eq(payoutHolds.vendorId, vendorId) : undefined))
    .groupBy(payoutHolds.vendorId, payoutHolds.reason)
    .orderBy(asc(payoutHolds.vendorId), asc(payoutHolds.reason));
}

/** A vendor's payouts: one row per run that transferred to it, newest first. */
export async function vendorPayoutsPage(db: Db, vendorId: string, q: { limit: number; after?: After }) {
  const rows = await db
    .select({
      runId: payoutTransfers.runId,
      startedAt: payoutRuns.startedAt,
      currency: payoutTransfers.currency,
      transfers: sql<number>`count(*)`,
      amountMinor: sql<number>`sum(${payoutTransfers.amountMinor})`,
      carriedForwardMinor: sql<number>`sum(${payoutTransfers.carryForwardMinor})`,
      reversedMinor: sql<number>`sum(${payoutTransfers.reversedMinor})`,
    })
    .from(payoutTransfers)
    .innerJoin(payoutRuns, eq(payoutRuns.id, payoutTransfers.runId))
    .where(
      and(
        eq(payoutTransfers.vendorId, vendorId),
        eq(payoutTransfers.status, "paid"),
        afterKey(payoutRuns.startedAt, payoutRuns.id, q.after, "desc"),
      ),
    )
    .groupBy(payoutTransfers.runId, payoutRuns.startedAt, payoutTransfers.currency)
    .orderBy(...keyOrder(payoutRuns.startedAt, payoutRuns.id, "desc"))
    .limit(q.limit + 1);
  return toPage(
    rows,
    q.limit,
    (r) => ({ key: r.startedAt, id: r.runId }),
    (r) => ({
      ...r,
      transfers: Number(r.transfers),
      amountMinor: Number(r.amountMinor),
      carriedForwardMinor: Number(r.carriedForwardMinor),
      reversedMinor: Number(r.reversedMinor),
    }),
  );
}

/** One run's transfers to one vendor (its statement), or every transfer of the run (the reconciliation CSV). */
export async function runTransfers(db: Db, runId: string, vendorId?: string): Promise<PayoutTransfer[]> {
  return db
    .select()
    .from(payoutTransfers)
    .where(and(eq(payoutTransfers.runId, runId), vendorId ? eq(payoutTransfers.vendorId, vendorId) : undefined))
    .orderBy(asc(payoutTransfers.vendorId), asc(payoutTransfers.createdAt), asc(payoutTransfers.id));
}
