import { and, asc, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import { type Journal, type JournalKind, journalId, type LedgerEntry } from "../domain/ledger";
import { type SubOrderMoney, subOrderMoney } from "../domain/ledger-postings";
import { chunks, D1_MAX_BOUND_PARAMETERS, selectIn } from "./chunks";
import type { Db, Statement } from "./client";
import { creditNoteCounters, creditNotes, ledgerEntries, ledgerJournals, subOrders } from "./schema";

/**
 * The ledger's store: journals and their entries (domain/ledger.ts says what they mean), written as
 * statements for the caller's own batch so a posting lands with the business change it records or
 * not at all. Balances are sums over entries, read here; nothing stores one.
 */

/** Bound parameters one entry takes in the guarded insert (line, account, vendor, sub-order, component, amount). */
const PARAMS_PER_ENTRY = 6;
/** Entries per insert: D1's limit less the journal id and attempt that guard it. */
const ENTRIES_PER_INSERT = Math.floor((D1_MAX_BOUND_PARAMETERS - 2) / PARAMS_PER_ENTRY);

/**
 * The statements that post `j`, for the batch of the change it records. The journal row goes first,
 * keyed by (kind, source id): a journal already posted (a replay, a rerun, a racing twin) is left as
 * it was and this batch's entries are not written, since each entry insert requires the journal row
 * to carry this call's own attempt id. `guard`, when given, is a condition the batch's business
 * write leaves true only if it landed (e.g. the claim of a reassignment): false, nothing is posted.
 */
export function postJournal(db: Db, j: Journal, guard?: SQL): Statement[] {
  const id = journalId(j.kind, j.sourceId);
  const attempt = crypto.randomUUID();
  const head = db
    .insert(ledgerJournals)
    .select(
      sql`select ${id}, ${j.kind}, ${j.sourceId}, ${j.currency}, ${j.orderId}, ${j.paymentId}, ${j.refundId}, ${j.transferId}, ${j.reassignmentId}, ${attempt}, ${j.at} where ${guard ?? sql`1`}`,
    )
    .onConflictDoNothing();
  const lines = j.entries.map((e, i) => ({ ...e, line: i + 1 }));
  const bodies = chunks(lines, ENTRIES_PER_INSERT).map((part) => {
    const values = sql.join(
      part.map((e) => sql`(${e.line}, ${e.account}, ${e.vendorId}, ${e.subOrderId}, ${e.component}, ${e.amountMinor})`),
      sql`, `,
    );
    return db
      .insert(ledgerEntries)
      .select(
        sql`select j.id, v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, j.currency, j.order_id, j.payment_id, j.refund_id, j.transfer_id, j.at from (values ${values}) v join ${ledgerJournals} j on j.id = ${id} and j.attempt = ${attempt}`,
      );
  });
  return [head, ...bodies];
}

export type PostedJournal = {
  id: string;
  kind: JournalKind;
  sourceId: string;
  currency: string;
  orderId: string | null;
  paymentId: string | null;
  refundId: string | null;
  transferId: string | null;
  reassignmentId: string | null;
  at: string;
  entries: LedgerEntry[];
};

function toEntry(r: typeof ledgerEntries.$inferSelect): LedgerEntry {
  return {
    account: r.account as LedgerEntry["account"],
    vendorId: r.vendorId,
    subOrderId: r.subOrderId,
    component: r.component as LedgerEntry["component"],
    amountMinor: r.amountMinor,
  };
}

async function withEntries(db: Db, heads: (typeof ledgerJournals.$inferSelect)[]): Promise<PostedJournal[]> {
  const rows = await selectIn(
    db,
    heads.map((h) => h.id),
    (ids) =>
      db.select().from(ledgerEntries).where(inArray(ledgerEntries.journalId, ids)).orderBy(asc(ledgerEntries.line)),
  );
  return heads.map(({ attempt: _a, ...h }) => ({
    ...h,
    kind: h.kind as JournalKind,
    entries: rows.filter((r) => r.journalId === h.id).map(toEntry),
  }));
}

/** The journal posted for (kind, source id), if any. */
export async function findJournal(db: Db, kind: JournalKind, sourceId: string): Promise<PostedJournal | undefined> {
  const head = await db
    .select()
    .from(ledgerJournals)
    .where(eq(ledgerJournals.id, journalId(kind, sourceId)))
    .get();
  return head ? (await withEntries(db, [head]))[0] : undefined;
}

/** Every journal of an order, oldest first (an order has a handful: capture, refunds, reassignments, transfers). */
export async function journalsOfOrder(db: Db, orderId: string): Promise<PostedJournal[]> {
  const heads = await db
    .select()
    .from(ledgerJournals)
    .where(eq(ledgerJournals.orderId, orderId))
    .orderBy(asc(ledgerJournals.at), asc(ledgerJournals.id));
  return withEntries(db, heads);
}

export type SubOrderTerms = { subOrderId: string; vendorId: string; commissionBps: number };

/** The terms the posting rules need of each sub-order: its vendor and commission rate. */
export async function subOrderTermsOf(db: Db, ids: readonly string[]): Promise<SubOrderTerms[]> {
  return selectIn(db, ids, (chunk) =>
    db
      .select({ subOrderId: subOrders.id, vendorId: subOrders.vendorId, commissionBps: subOrders.commissionBps })
      .from(subOrders)
      .where(inArray(subOrders.id, chunk)),
  );
}

/**
 * What the ledger says each sub-order sells now (goods, shipping, fee, adjustment), for the posting
 * rules; a sub-order with no entries (its payment not captured, or captured before the ledger
 * existed) is absent, and nothing is posted for it.
 */
export async function subOrderMoneyOf(db: Db, subs: readonly SubOrderTerms[]): Promise<Map<string, SubOrderMoney>> {
  const rows = await selectIn(
    db,
    subs.map((s) => s.subOrderId),
    (ids) =>
      db
        .select()
        .from(ledgerEntries)
        .where(
          and(
            inArray(ledgerEntries.subOrderId, ids),
            inArray(ledgerEntries.account, ["vendor_payable", "platform_fees", "shopper_payments"]),
          ),
        ),
  );
  const seen = new Set(rows.map((r) => r.subOrderId));
  const entries = rows.map(toEntry);
  return new Map(
    subs.filter((s) => seen.has(s.subOrderId)).map((s) => [s.subOrderId, subOrderMoney(s, entries)] as const),
  );
}

export type AccountBalance = {
  account: string;
  component: string;
  vendorId: string | null;
  currency: string;
  balanceMinor: number;
};

/**
 * Balances by account, component, vendor and currency: sums of entries, optionally of one vendor,
 * or of journals posted in [from, to) (ISO times; the reconciliation's period).
 */
export async function accountBalances(
  db: Db,
  f: { vendorId?: string; from?: string; to?: string } = {},
): Promise<AccountBalance[]> {
  const rows = await db
    .select({
      account: ledgerEntries.account,
      component: ledgerEntries.component,
      vendorId: ledgerEntries.vendorId,
      currency: ledgerEntries.currency,
      balanceMinor: sql<number>`sum(${ledgerEntries.amountMinor})`,
    })
    .from(ledgerEntries)
    .where(
      and(
        f.vendorId === undefined ? undefined : eq(ledgerEntries.vendorId, f.vendorId),
        f.from === undefined ? undefined : sql`${ledgerEntries.at} >= ${f.from}`,
        f.to === undefined ? undefined : sql`${ledgerEntries.at} < ${f.to}`,
      ),
    )
    .groupBy(ledgerEntries.account, ledgerEntries.component, ledgerEntries.vendorId, ledgerEntries.currency);
  return rows.map((r) => ({ ...r, balanceMinor: Number(r.balanceMinor) }));
}

/**
 * Numbers a credit note in the batch that issues it: the vendor's counter for the year is bumped
 * only while the note is still unnumbered, then the note takes the counter's value. A batch is one
 * transaction, so however many refunds land at once each takes the next number: no gaps, no repeats.
 * A replayed note (already numbered) bumps nothing.
 */
export function numberCreditNote(
  db: Db,
  n: { creditNoteId: string; vendorId: string; financialYear: number },
): Statement[] {
  const unnumbered = sql`exists (select 1 from ${creditNotes} where ${creditNotes.id} = ${n.creditNoteId} and ${creditNotes.number} is null)`;
  return [
    db
      .insert(creditNoteCounters)
      .select(sql`select ${n.vendorId}, ${n.financialYear}, 1 where ${unnumbered}`)
      .onConflictDoUpdate({
        target: [creditNoteCounters.vendorId, creditNoteCounters.financialYear],
        set: { last: sql`${creditNoteCounters.last} + 1` },
      }),
    db
      .update(creditNotes)
      .set({
        vendorId: n.vendorId,
        financialYear: n.financialYear,
        number: sql`(select ${creditNoteCounters.last} from ${creditNoteCounters} where ${creditNoteCounters.vendorId} = ${n.vendorId} and ${creditNoteCounters.financialYear} = ${n.financialYear})`,
      })
      .where(and(eq(creditNotes.id, n.creditNoteId), isNull(creditNotes.number))),
  ];
}

/** A vendor's credit notes of a year by number (tests and statements). */
export async function creditNotesOf(db: Db, vendorId: string, financialYear: number) {
  return db
    .select()
    .from(creditNotes)
    .where(and(eq(creditNotes.vendorId, vendorId), eq(creditNotes.financialYear, financialYear)))
    .orderBy(asc(creditNotes.number));
}
