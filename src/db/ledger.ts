import { and, asc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { type Journal, type JournalKind, journalId, type LedgerEntry } from "../domain/ledger";
import { type SubOrderMoney, subOrderMoney } from "../domain/ledger-postings";
import { chunks, D1_MAX_BOUND_PARAMETERS, selectIn } from "./chunks";
import type { Db, Statement } from "./client";
import type { CreditNoteRow } from "./payments";
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

/**
 * Journals a job posts by the hundred (a period's provider fees), as two statements per
 * `JOURNALS_PER_STATEMENT` whatever their number: each list goes in as one JSON parameter. The same
 * rule as `postJournal`: a journal already posted is left as it was and gets no entries from here.
 */
export function postJournals(db: Db, journals: readonly Journal[]): Statement[] {
  return chunks(journals, JOURNALS_PER_STATEMENT).flatMap((part) => {
    const attempt = crypto.randomUUID();
    const rows = JSON.stringify(part.map((j) => ({ ...j, id: journalId(j.kind, j.sourceId) })));
    const heads = db
      .insert(ledgerJournals)
      .select(
        sql`select value ->> 'id', value ->> 'kind', value ->> 'sourceId', value ->> 'currency', value ->> 'orderId', value ->> 'paymentId', value ->> 'refundId', value ->> 'transferId', value ->> 'reassignmentId', ${attempt}, value ->> 'at' from json_each(${rows}) order by key`,
      )
      .onConflictDoNothing();
    const bodies = db
      .insert(ledgerEntries)
      .select(
        sql`select j.id, e.key + 1, e.value ->> 'account', e.value ->> 'vendorId', e.value ->> 'subOrderId', e.value ->> 'component', e.value ->> 'amountMinor', j.currency, j.order_id, j.payment_id, j.refund_id, j.transfer_id, j.at from json_each(${rows}) p join ${ledgerJournals} j on j.id = p.value ->> 'id' and j.attempt = ${attempt} join json_each(p.value, '$.entries') e`,
      );
    return [heads, bodies];
  });
}

/** Journals in one `postJournals` statement: a few hundred KB of JSON, far below D1's 2 MB per value. */
const JOURNALS_PER_STATEMENT = 1_000;

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

export type LedgerState = {
  /** Each sub-order's vendor and commission rate, as its row stands. */
  terms: Map<string, SubOrderTerms>;
  /**
   * What the ledger says each sub-order sells now (goods, shipping, fee, adjustment), for the posting
   * rules; a sub-order with no entries (its payment not captured, or captured before the ledger
   * existed) is absent, and nothing is posted for it.
   */
  money: Map<string, SubOrderMoney>;
  /** Whether the journal `key` names is posted already (a replay, or a twin that landed first). */
  posted: boolean;
  /**
   * Each sub-order's status, read in the same query as its money: a caller that acts on a status it
   * read earlier can tell whether this money belongs to it (a cancel and its refund may have landed
   * in between).
   */
  statuses: Map<string, string>;
};

/**
 * The sub-orders' terms, status and money and whether a journal is posted, in one query per 90
 * sub-orders: a refund reads this once before its batch, whichever path it takes.
 */
export async function ledgerStateOf(
  db: Db,
  subOrderIds: readonly string[],
  key?: { kind: JournalKind; sourceId: string },
): Promise<LedgerState> {
  const posted = key
    ? sql<
        number | null
      >`(select 1 from ${ledgerJournals} where ${ledgerJournals.id} = ${journalId(key.kind, key.sourceId)})`
    : sql<number | null>`null`;
  const rows = await selectIn(db, subOrderIds, (ids) =>
    db
      .select({
        subOrderId: subOrders.id,
        vendorId: subOrders.vendorId,
        commissionBps: subOrders.commissionBps,
        status: subOrders.status,
        account: ledgerEntries.account,
        component: ledgerEntries.component,
        amountMinor: ledgerEntries.amountMinor,
        posted: posted.as("posted"),
      })
      .from(subOrders)
      .leftJoin(
        ledgerEntries,
        and(
          eq(ledgerEntries.subOrderId, subOrders.id),
          inArray(ledgerEntries.account, ["vendor_payable", "platform_fees", "shopper_payments"]),
        ),
      )
      .where(inArray(subOrders.id, ids)),
  );
  const terms = new Map(
    rows.map((r) => [r.subOrderId, { subOrderId: r.subOrderId, vendorId: r.vendorId, commissionBps: r.commissionBps }]),
  );
  const entries: LedgerEntry[] = rows.flatMap((r) =>
    r.account === null || r.component === null || r.amountMinor === null
      ? []
      : [
          {
            account: r.account as LedgerEntry["account"],
            vendorId: r.account === "platform_fees" || r.account === "shopper_payments" ? null : r.vendorId,
            subOrderId: r.subOrderId,
            component: r.component as LedgerEntry["component"],
            amountMinor: r.amountMinor,
          },
        ],
  );
  const held = new Set(entries.map((e) => e.subOrderId));
  const money = new Map(
    [...terms.values()].filter((t) => held.has(t.subOrderId)).map((t) => [t.subOrderId, subOrderMoney(t, entries)]),
  );
  const statuses = new Map(rows.map((r) => [r.subOrderId, r.status]));
  return { terms, money, posted: rows.some((r) => r.posted !== null), statuses };
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
 * A credit note issued with its number, as two statements for the batch that records its refund:
 * the note is inserted numbered one past the vendor's counter for the year, then the counter is
 * raised to the note's number. A batch is one transaction, so however many refunds land at once each
 * note takes the next number: no gaps, no repeats. A replayed note (its dedupe key taken) inserts
 * nothing and leaves the counter, already past it, as it is.
 */
export function issueNumberedCreditNote(
  db: Db,
  row: CreditNoteRow & { vendorId: string; financialYear: number },
): Statement[] {
  const counter = sql`(select ${creditNoteCounters.last} from ${creditNoteCounters} where ${creditNoteCounters.vendorId} = ${row.vendorId} and ${creditNoteCounters.financialYear} = ${row.financialYear})`;
  return [
    db
      .insert(creditNotes)
      .select(
        sql`select ${row.id}, ${row.orderId}, ${row.subOrderId}, ${row.amountMinor}, ${row.currency}, ${row.reason}, ${row.refundId ?? null}, ${row.createdAt}, ${row.dedupeKey}, ${row.vendorId}, ${row.financialYear}, coalesce(${counter}, 0) + 1 where true`,
      )
      .onConflictDoNothing(),
    db
      .insert(creditNoteCounters)
      .select(
        sql`select ${creditNotes.vendorId}, ${creditNotes.financialYear}, ${creditNotes.number} from ${creditNotes} where ${creditNotes.id} = ${row.id} and ${creditNotes.number} is not null`,
      )
      .onConflictDoUpdate({
        target: [creditNoteCounters.vendorId, creditNoteCounters.financialYear],
        set: { last: sql`excluded.last` },
        setWhere: sql`excluded.last > ${creditNoteCounters.last}`,
      }),
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
