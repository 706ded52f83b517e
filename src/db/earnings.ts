import { and, eq, exists, inArray, notExists, type SQL, sql } from "drizzle-orm";
import { selectIn } from "./chunks";
import type { Db } from "./client";
import { type After, afterKey, keyOrder, type Page, toPage } from "./paging";
import { noRefundOwed, notReviewHeld } from "./payouts";
import { creditNotes, ledgerEntries, ledgerJournals, orders, subOrders } from "./schema";

// Every computed column is aliased: D1 hands rows back by column name, and two expressions that
// differ only in their bound parameters would otherwise share one name and one value.

/**
 * Earnings as read models over the ledger: every figure is a sum of entries. A vendor's payable is
 * "cleared" once its sub-order was delivered at or before `cutoff` (now less the payout hold) and
 * "pending" before that (not delivered yet, or inside the hold); "in transit" is a transfer written
 * but not yet confirmed by the provider, "transferred" what vendor_paid holds.
 */

/** A refund of the sub-order still owed, or its order held for review: the payout job pays it nothing yet. */
const waiting = sql`not (${noRefundOwed("sub_orders.id")} and ${notReviewHeld("sub_orders.order_id")})`;

/**
 * Delivered (or since returned) at or before the cutoff and not `waiting`: what the payout job may
 * pay (db/payouts.ts, dueSubOrders).
 */
function cleared(cutoff: string): SQL {
  return sql`(${subOrders.status} in ('delivered','returned') and ${subOrders.deliveredAt} is not null and ${subOrders.deliveredAt} <= ${cutoff}
    and not ${waiting})`;
}

const owed = (account: string, when?: SQL) =>
  sql<number>`coalesce(sum(case when ${ledgerEntries.account} = ${account}${when ? sql` and ${when}` : sql``} then -${ledgerEntries.amountMinor} end), 0)`;

export type EarningsTotals = {
  pendingMinor: number;
  clearedMinor: number;
  inTransitMinor: number;
  transferredMinor: number;
  carriedForwardMinor: number;
};

/**
 * `withHeld` false leaves out what is pending for orders held for review, as a vendor reads it: such
 * an order does not exist for its vendors (its money, paid or not, is pending while it is held).
 */
function totalsQuery(db: Db, where: SQL | undefined, cutoff: string, withHeld = true) {
  const pending = withHeld
    ? sql`not ${cleared(cutoff)}`
    : sql`not ${cleared(cutoff)} and ${notReviewHeld("sub_orders.order_id")}`;
  return db
    .select({
      pendingMinor: owed("vendor_payable", pending).as("pending_minor"),
      clearedMinor: owed("vendor_payable", cleared(cutoff)).as("cleared_minor"),
      inTransitMinor: owed("vendor_transfer_pending").as("in_transit_minor"),
      transferredMinor: owed("vendor_paid").as("transferred_minor"),
      // A debit balance: what vendors owe the platform, netted off their next transfers.
      carriedForwardMinor: sql<number>`-${owed("vendor_carry_forward")}`.as("carried_forward_minor"),
    })
    .from(ledgerEntries)
    .leftJoin(subOrders, eq(subOrders.id, ledgerEntries.subOrderId))
    .where(where);
}

const numbers = <T extends Record<string, unknown>>(row: T | undefined) =>
  Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v ?? 0)])) as { [K in keyof T]: number };

/** One vendor's totals in one currency; `withHeld` as in `totalsQuery`. */
export async function vendorEarnings(
  db: Db,
  vendorId: string,
  f: { currency: string; cutoff: string; withHeld: boolean },
): Promise<EarningsTotals> {
  const row = await totalsQuery(
    db,
    and(eq(ledgerEntries.vendorId, vendorId), eq(ledgerEntries.currency, f.currency)),
    f.cutoff,
    f.withHeld,
  ).get();
  return numbers(row) as EarningsTotals;
}

export type PlatformTotals = EarningsTotals & {
  capturedMinor: number;
  platformFeesMinor: number;
  refundsMinor: number;
  reassignmentCostMinor: number;
  providerFeesMinor: number;
};

/** Ops' totals over every vendor, with the platform's own accounts, in one currency. */
export async function platformEarnings(db: Db, f: { currency: string; cutoff: string }): Promise<PlatformTotals> {
  const [vendorSide, platformSide] = await db.batch([
    totalsQuery(db, eq(ledgerEntries.currency, f.currency), f.cutoff),
    db
      .select({
        // What shoppers paid: goods and shipping (a provider's fee posts under its own component).
        capturedMinor:
          sql<number>`coalesce(sum(case when ${ledgerEntries.account} = 'shopper_payments' and ${ledgerEntries.component} in ('goods','shipping') then ${ledgerEntries.amountMinor} end), 0)`.as(
            "captured_minor",
          ),
        platformFeesMinor: owed("platform_fees").as("platform_fees_minor"),
        refundsMinor: owed("refunds").as("refunds_minor"),
        reassignmentCostMinor: sql<number>`-${owed("platform_reassignment_cost")}`.as("reassignment_cost_minor"),
        providerFeesMinor: sql<number>`-${owed("provider_fees")}`.as("provider_fees_minor"),
      })
      .from(ledgerEntries)
      .where(
        and(
          eq(ledgerEntries.currency, f.currency),
          inArray(ledgerEntries.account, [
            "shopper_payments",
            "platform_fees",
            "refunds",
            "platform_reassignment_cost",
            "provider_fees",
          ]),
        ),
      ),
  ]);
  return { ...numbers(vendorSide[0]), ...numbers(platformSide[0]) } as PlatformTotals;
}

export type SubOrderEarningsRow = {
  subOrderId: string;
  orderId: string;
  status: string;
  createdAt: string;
  deliveredAt: string | null;
  /** A refund of it still owed, or its order held for review: it does not clear meanwhile. */
  waiting: boolean;
  currency: string;
  goodsMinor: number;
  shippingMinor: number;
  feeMinor: number;
  adjustmentMinor: number;
  refundedMinor: number;
  payableMinor: number;
  inTransitMinor: number;
  transferredMinor: number;
  setOffMinor: number;
  history: { at: string; kind: string; payableMinor: number; transferredMinor: number }[];
  creditNotes: {
    id: string;
    financialYear: number | null;
    number: number | null;
    amountMinor: number;
    reason: string;
    createdAt: string;
  }[];
};

/**
 * A vendor's sub-orders that hold money in the ledger, newest first, keyset over (created_at, id),
 * each with its figures and its history (one row per journal that moved its payable or its transfers).
 * Without `withHeld`, those of orders held for review are left out: they do not exist for the vendor.
 */
export async function vendorSubOrderEarnings(
  db: Db,
  vendorId: string,
  f: { after: After | undefined; limit: number; withHeld: boolean },
): Promise<Page<SubOrderEarningsRow>> {
  const subs = await db
    .select({
      id: subOrders.id,
      orderId: subOrders.orderId,
      status: subOrders.status,
      createdAt: subOrders.createdAt,
      deliveredAt: subOrders.deliveredAt,
      waiting: sql<number>`${waiting}`.as("waiting"),
      currency: subOrders.currency,
    })
    .from(subOrders)
    .where(
      and(
        eq(subOrders.vendorId, vendorId),
        exists(db.select({ one: sql`1` }).from(ledgerEntries).where(eq(ledgerEntries.subOrderId, subOrders.id))),
        f.withHeld
          ? undefined
          : notExists(
              db
                .select({ one: sql`1` })
                .from(orders)
                .where(and(eq(orders.id, subOrders.orderId), eq(orders.reviewHeld, true))),
            ),
        afterKey(subOrders.createdAt, subOrders.id, f.after, "desc"),
      ),
    )
    .orderBy(...keyOrder(subOrders.createdAt, subOrders.id, "desc"))
    .limit(f.limit + 1);
  const ids = subs.slice(0, f.limit).map((s) => s.id);
  const [sums, journals, notes] = await Promise.all([
    selectIn(db, ids, (chunk) =>
      db
        .select({
          subOrderId: ledgerEntries.subOrderId,
          account: ledgerEntries.account,
          component: ledgerEntries.component,
          amountMinor: sql<number>`sum(${ledgerEntries.amountMinor})`,
        })
        .from(ledgerEntries)
        .where(inArray(ledgerEntries.subOrderId, chunk))
        .groupBy(ledgerEntries.subOrderId, ledgerEntries.account, ledgerEntries.component),
    ),
    selectIn(db, ids, (chunk) =>
      db
        .select({
          subOrderId: ledgerEntries.subOrderId,
          at: ledgerJournals.at,
          kind: ledgerJournals.kind,
          payableMinor: owed("vendor_payable").as("payable_minor"),
          transferredMinor: owed("vendor_paid").as("transferred_minor"),
        })
        .from(ledgerEntries)
        .innerJoin(ledgerJournals, eq(ledgerJournals.id, ledgerEntries.journalId))
        .where(
          and(
            inArray(ledgerEntries.subOrderId, chunk),
            inArray(ledgerEntries.account, ["vendor_payable", "vendor_paid"]),
          ),
        )
        .groupBy(ledgerEntries.subOrderId, ledgerEntries.journalId)
        .orderBy(ledgerJournals.at, ledgerJournals.id),
    ),
    selectIn(db, ids, (chunk) =>
      db
        .select({
          subOrderId: creditNotes.subOrderId,
          id: creditNotes.id,
          financialYear: creditNotes.financialYear,
          number: creditNotes.number,
          amountMinor: creditNotes.amountMinor,
          reason: creditNotes.reason,
          createdAt: creditNotes.createdAt,
        })
        .from(creditNotes)
        .where(inArray(creditNotes.subOrderId, chunk))
        .orderBy(creditNotes.createdAt, creditNotes.id),
    ),
  ]);
  return toPage(
    subs,
    f.limit,
    (s) => ({ key: s.createdAt, id: s.id }),
    (s) => {
      const mine = sums.filter((r) => r.subOrderId === s.id);
      const sum = (account: string, components?: string[]) =>
        mine
          .filter((r) => r.account === account && (!components || components.includes(r.component)))
          .reduce((n, r) => n + Number(r.amountMinor), 0);
      return {
        subOrderId: s.id,
        orderId: s.orderId,
        status: s.status,
        createdAt: s.createdAt,
        deliveredAt: s.deliveredAt,
        waiting: Boolean(s.waiting),
        currency: s.currency,
        goodsMinor: -sum("vendor_payable", ["goods"]),
        shippingMinor: -sum("vendor_payable", ["shipping"]),
        feeMinor: -sum("platform_fees"),
        adjustmentMinor: -sum("vendor_payable", ["adjustment"]),
        refundedMinor: -sum("refunds"),
        payableMinor: -sum("vendor_payable"),
        inTransitMinor: -sum("vendor_transfer_pending"),
        transferredMinor: -sum("vendor_paid"),
        // What the sub-order paid down of the carried debt, set off whole or netted off its transfer
        // (a refund carried as debt is a debit here, not a payment of it).
        setOffMinor: Math.max(0, -sum("vendor_carry_forward")),
        history: journals
          .filter((j) => j.subOrderId === s.id)
          .map((j) => ({
            at: j.at,
            kind: j.kind,
            payableMinor: Number(j.payableMinor),
            transferredMinor: Number(j.transferredMinor),
          })),
        creditNotes: notes.filter((n) => n.subOrderId === s.id).map(({ subOrderId: _s, ...n }) => n),
      };
    },
  );
}
