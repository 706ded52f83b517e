import { and, desc, eq, gte, lt, sql } from "drizzle-orm";
import type { Db } from "./client";
import { payments, refunds, simPayoutAccounts, simTransferReversals, simTransfers } from "./schema";

// The local payout simulator's state (development only). Every write is keyed by its idempotency
// key and conditional on the balance it draws on, in one statement, so a replay or a race can
// neither pay twice nor take back more than is there.

export type SimAccountRow = typeof simPayoutAccounts.$inferSelect;
export type SimTransferRow = typeof simTransfers.$inferSelect;
export type SimReversalRow = typeof simTransferReversals.$inferSelect;

export async function insertSimAccount(db: Db, row: typeof simPayoutAccounts.$inferInsert): Promise<SimAccountRow> {
  await db.insert(simPayoutAccounts).values(row).onConflictDoNothing();
  return (await db
    .select()
    .from(simPayoutAccounts)
    .where(eq(simPayoutAccounts.idempotencyKey, row.idempotencyKey))
    .get())!;
}

export async function findSimAccount(db: Db, id: string): Promise<SimAccountRow | undefined> {
  return db.select().from(simPayoutAccounts).where(eq(simPayoutAccounts.id, id)).get();
}

/** What an account holds: transferred to it, less reversed, less moved on to its bank. */
const availableOf = (accountId: string) =>
  sql<number>`(coalesce((select sum(${simTransfers.amountMinor} - ${simTransfers.amountReversedMinor}) from ${simTransfers} where ${simTransfers.destination} = ${accountId}), 0) - coalesce((select ${simPayoutAccounts.paidOutMinor} from ${simPayoutAccounts} where ${simPayoutAccounts.id} = ${accountId}), 0))`;

export async function simAvailableMinor(db: Db, accountId: string): Promise<number> {
  const row = await db
    .select({ n: availableOf(accountId) })
    .from(sql`(select 1)`)
    .get();
  return Number(row?.n ?? 0);
}

/**
 * Inserts the transfer unless its key was used; with a source charge, only while the charge has
 * that much left untransferred (as a provider bounds transfers by their source transaction).
 * Answers the row the key names afterwards, or undefined when the source was short.
 */
export async function insertSimTransfer(
  db: Db,
  row: typeof simTransfers.$inferInsert,
): Promise<SimTransferRow | undefined> {
  const src = row.sourceTransaction;
  const room = src
    ? sql`(select ${payments.amountMinor} from ${payments} where ${payments.chargeId} = ${src}) >= coalesce((select sum(${simTransfers.amountMinor}) from ${simTransfers} where ${simTransfers.sourceTransaction} = ${src}), 0) + ${row.amountMinor}`
    : sql`1`;
  await db.run(
    sql`insert into ${simTransfers} (id, idempotency_key, amount_minor, amount_reversed_minor, currency, destination, transfer_group, source_transaction, sub_order_id, order_id, vendor_id, created_at) select ${row.id}, ${row.idempotencyKey}, ${row.amountMinor}, 0, ${row.currency}, ${row.destination}, ${row.transferGroup}, ${src ?? null}, ${row.subOrderId}, ${row.orderId}, ${row.vendorId}, ${row.createdAt} where ${room} on conflict do nothing`,
  );
  return db.select().from(simTransfers).where(eq(simTransfers.idempotencyKey, row.idempotencyKey)).get();
}

export async function listSimTransfers(
  db: Db,
  f: { transferGroup?: string; destination?: string; createdFrom?: string; createdBefore?: string },
): Promise<SimTransferRow[]> {
  return db
    .select()
    .from(simTransfers)
    .where(
      and(
        f.transferGroup ? eq(simTransfers.transferGroup, f.transferGroup) : undefined,
        f.destination ? eq(simTransfers.destination, f.destination) : undefined,
        f.createdFrom ? gte(simTransfers.createdAt, f.createdFrom) : undefined,
        f.createdBefore ? lt(simTransfers.createdAt, f.createdBefore) : undefined,
      ),
    )
    .orderBy(desc(simTransfers.createdAt), desc(simTransfers.id))
    .all();
}

export async function findSimTransfer(db: Db, id: string): Promise<SimTransferRow | undefined> {
  return db.select().from(simTransfers).where(eq(simTransfers.id, id)).get();
}

/**
 * Records the reversal unless its key was used, only while the transfer has the amount left and
 * its destination's balance covers it, and moves the transfer's reversed amount in the same batch.
 * Answers the row the key names afterwards, or undefined when refused.
 */
export async function insertSimReversal(
  db: Db,
  row: typeof simTransferReversals.$inferInsert,
  destination: string,
): Promise<SimReversalRow | undefined> {
  const t = simTransfers;
  await db.batch([
    // A builder, not db.run: a batch takes only prepared builders.
    db
      .insert(simTransferReversals)
      .select(
        sql`select ${row.id}, ${row.idempotencyKey}, ${t.id}, ${row.amountMinor}, ${t.currency}, ${row.createdAt} from ${t} where ${t.id} = ${row.transferId} and ${t.amountMinor} - ${t.amountReversedMinor} >= ${row.amountMinor} and ${availableOf(destination)} >= ${row.amountMinor}`,
      )
      .onConflictDoNothing(),
    db
      .update(t)
      .set({
        amountReversedMinor: sql`coalesce((select sum(${simTransferReversals.amountMinor}) from ${simTransferReversals} where ${simTransferReversals.transferId} = ${row.transferId}), 0)`,
      })
      .where(eq(t.id, row.transferId)),
  ]);
  return db
    .select()
    .from(simTransferReversals)
    .where(eq(simTransferReversals.idempotencyKey, row.idempotencyKey))
    .get();
}

/** Moves everything available in a simulated account to the vendor's bank, as a provider's payout schedule would. */
export async function paySimAccountOut(db: Db, accountId: string): Promise<number> {
  const before = await simAvailableMinor(db, accountId);
  if (before <= 0) return 0;
  await db
    .update(simPayoutAccounts)
    .set({ paidOutMinor: sql`${simPayoutAccounts.paidOutMinor} + ${availableOf(accountId)}` })
    .where(eq(simPayoutAccounts.id, accountId));
  return before;
}

export type SimBalanceMove = {
  id: string;
  type: "charge" | "refund" | "transfer" | "transfer_refund";
  sourceId: string;
  amountMinor: number;
  currency: string;
  createdAt: string;
};

/**
 * The simulated platform balance's movements in [from, before): charges of simulated payments (dated
 * by their payment's creation), their refunds, and the simulator's transfers and reversals.
 */
export async function simBalanceMoves(db: Db, from: string, before: string): Promise<SimBalanceMove[]> {
  const charges = await db
    .select({
      id: payments.chargeId,
      amountMinor: payments.amountMinor,
      currency: payments.currency,
      at: payments.createdAt,
    })
    .from(payments)
    .where(
      and(
        eq(payments.provider, "simulated"),
        sql`${payments.chargeId} is not null`,
        gte(payments.createdAt, from),
        lt(payments.createdAt, before),
      ),
    )
    .all();
  const refundRows = await db
    .select({
      id: refunds.id,
      ref: refunds.providerRef,
      amountMinor: refunds.amountMinor,
      currency: refunds.currency,
      at: refunds.createdAt,
    })
    .from(refunds)
    .innerJoin(payments, eq(payments.id, refunds.paymentId))
    .where(and(eq(payments.provider, "simulated"), gte(refunds.createdAt, from), lt(refunds.createdAt, before)))
    .all();
  const transfers = await listSimTransfers(db, { createdFrom: from, createdBefore: before });
  const reversals = await db
    .select()
    .from(simTransferReversals)
    .where(and(gte(simTransferReversals.createdAt, from), lt(simTransferReversals.createdAt, before)))
    .all();
  return [
    ...charges.map((c) => ({
      id: `txn_${c.id}`,
      type: "charge" as const,
      sourceId: c.id!,
      amountMinor: c.amountMinor,
      currency: c.currency,
      createdAt: c.at,
    })),
    ...refundRows.map((r) => ({
      id: `txn_${r.id}`,
      type: "refund" as const,
      sourceId: r.ref ?? r.id,
      amountMinor: -r.amountMinor,
      currency: r.currency,
      createdAt: r.at,
    })),
    ...transfers.map((t) => ({
      id: `txn_${t.id}`,
      type: "transfer" as const,
      sourceId: t.id,
      amountMinor: -t.amountMinor,
      currency: t.currency,
      createdAt: t.createdAt,
    })),
    ...reversals.map((r) => ({
      id: `txn_${r.id}`,
      type: "transfer_refund" as const,
      sourceId: r.id,
      amountMinor: r.amountMinor,
      currency: r.currency,
      createdAt: r.createdAt,
    })),
  ].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}
