import { and, asc, count, eq, getTableColumns, isNotNull, lt, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Journal } from "../domain/ledger";
import { batchNamed } from "./batch";
import type { Db, Statement } from "./client";
import { postJournal } from "./ledger";
import { queueOpsAlert } from "./ops-alerts";
import type { LineItemRow, SubOrderRow } from "./orders";
import { lineItems, orderEvents, orders, outbox, reassignments, subOrders } from "./schema";

export type ReassignmentRow = typeof reassignments.$inferInsert;

/** A sub-order's id with the columns a reassignment changed. */
export type SubOrderChange = Pick<SubOrderRow, "id" | "updatedAt"> & Partial<SubOrderRow>;

/** A sub-order as the reassignment read it: the write lands only if it is still in this status. */
export type SeenSubOrder = { id: string; status: string };

export type ReassignmentWrite = {
  /** The claim: its id is the order's next reassignment, so two reassignments of one order never both land. */
  reassignment: ReassignmentRow;
  /** Unique to this attempt: a second attempt of the same request writes nothing under the first one's claim. */
  attempt: string;
  seen: SeenSubOrder[];
  /** How many reassignments the order had when the move read it: the write lands only if it still has as many. */
  movesSeen: number;
  orderId: string;
  orderStatus: string;
  /** Updates carry only the columns the move changed. */
  subOrders: { insert: SubOrderRow[]; update: SubOrderChange[] };
  lines: {
    insert: LineItemRow[];
    update: Pick<LineItemRow, "id" | "qty" | "lineTotalMinor">[];
    remove: string[];
  };
  events: (typeof orderEvents.$inferInsert)[];
  outbox: typeof outbox.$inferInsert;
  /** The move's ledger journal, posted only under the claim (null when the order's money is not captured yet). */
  ledger: Journal | null;
};

/**
 * A new dispatch deadline for a sub-order still open moves it only later, decided as the write runs:
 * the move pushed the deadline it read, and one set since (an approval after a review restarts the
 * clock) may be later still, which the move must not pull back nor nudge again. A sub-order the move
 * revives from cancelled takes the move's.
 */
function laterDeadline(changes: Partial<SubOrderRow>): Partial<Record<"slaDispatchBy" | "nudgedAt", SQL>> {
  if (changes.slaDispatchBy == null) return {};
  const keepsItsOwn = sql`${subOrders.status} <> 'cancelled' and ${subOrders.slaDispatchBy} > ${changes.slaDispatchBy}`;
  return {
    slaDispatchBy: sql`case when ${keepsItsOwn} then ${subOrders.slaDispatchBy} else ${changes.slaDispatchBy} end`,
    ...(changes.nudgedAt === undefined
      ? {}
      : { nudgedAt: sql`case when ${keepsItsOwn} then ${subOrders.nudgedAt} else ${changes.nudgedAt} end` }),
  };
}

/**
 * The reassignment as one D1 batch. Its first statement claims the move: the reassignment row is
 * inserted only if every sub-order read is still in the status it was read in and no other
 * reassignment of the order landed since the read (another move changes lines and totals, not
 * statuses, and a move priced on the lines before it would write stale totals), and RETURNING says
 * whether it was. Every later statement is conditional on that claim, so a lost race writes nothing
 * at all. True when this attempt landed.
 */
export async function writeReassignment(db: Db, w: ReassignmentWrite): Promise<boolean> {
  const claimed = sql`exists (select 1 from ${reassignments} where ${reassignments.id} = ${w.reassignment.id} and json_extract(${reassignments.moves}, '$.attempt') = ${w.attempt})`;
  const unchanged = sql.join(
    [
      sql`(select count(*) from ${reassignments} where ${reassignments.orderId} = ${w.orderId}) = ${w.movesSeen}`,
      ...w.seen.map(
        (s) => sql`(select ${subOrders.status} from ${subOrders} where ${subOrders.id} = ${s.id}) = ${s.status}`,
      ),
    ],
    sql` and `,
  );
  const statements: Record<string, Statement> = {
    // A sub-order this batch creates does not exist yet: the claim points at the source until it does.
    claim: insertWhere(db, reassignments, { ...w.reassignment, toSubOrderId: w.reassignment.fromSubOrderId }, unchanged)
      .onConflictDoNothing()
      .returning({ id: reassignments.id }),
  };
  for (const s of w.subOrders.insert) statements[`insert ${s.id}`] = insertWhere(db, subOrders, s, claimed);
  for (const s of w.subOrders.update) {
    const { id, orderId: _o, createdAt: _c, ...changes } = s;
    statements[`update ${id}`] = db
      .update(subOrders)
      .set({ ...changes, ...laterDeadline(changes) })
      .where(and(eq(subOrders.id, id), claimed));
  }
  statements.target = db
    .update(reassignments)
    .set({ toSubOrderId: w.reassignment.toSubOrderId })
    .where(and(eq(reassignments.id, w.reassignment.id), claimed));
  // Decided as the batch runs, as a payment does: a held order's sub-orders wait for the approval's
  // clock, and an approval that landed since the move's read has started the clocks it found.
  statements.heldClock = db
    .update(subOrders)
    .set({ slaDispatchBy: null, slaStartedAt: null })
    .where(
      and(
        eq(subOrders.id, w.reassignment.toSubOrderId),
        claimed,
        sql`(select ${orders.reviewHeld} from ${orders} where ${orders.id} = ${w.orderId})`,
      ),
    );
  for (const l of w.lines.insert) statements[`insert ${l.id}`] = insertWhere(db, lineItems, l, claimed);
  for (const l of w.lines.update) {
    statements[`update ${l.id}`] = db
      .update(lineItems)
      .set({ qty: l.qty, lineTotalMinor: l.lineTotalMinor })
      .where(and(eq(lineItems.id, l.id), claimed));
  }
  for (const id of w.lines.remove) {
    statements[`delete ${id}`] = db.delete(lineItems).where(and(eq(lineItems.id, id), claimed));
  }
  statements.order = db
    .update(orders)
    .set({ status: w.orderStatus, updatedAt: w.reassignment.createdAt })
    .where(and(eq(orders.id, w.orderId), claimed));
  w.events.forEach((e, i) => {
    statements[`event ${i}`] = insertWhere(db, orderEvents, e, claimed).onConflictDoNothing();
  });
  statements.outbox = insertWhere(db, outbox, w.outbox, claimed).onConflictDoNothing();
  if (w.ledger) {
    postJournal(db, w.ledger, claimed).forEach((s, i) => {
      statements[`ledger ${i}`] = s;
    });
  }
  const results = await batchNamed(db, statements);
  return (results.claim as { id: string }[]).length > 0;
}

/**
 * INSERT ... SELECT ... WHERE `guard`: the row is written only if the guard holds when the
 * statement runs inside its batch. Values go in the table's column order, encoded by each column.
 */
function insertWhere<T extends SQLiteTable>(db: Db, table: T, row: Record<string, unknown>, guard: SQL) {
  const values = Object.entries(getTableColumns(table)).map(([key, column]) => {
    const value = row[key];
    return value === undefined || value === null ? sql`null` : sql`${sql.param(value, column)}`;
  });
  return db.insert(table).select(sql`select ${sql.join(values, sql`, `)} where ${guard}`);
}

/**
 * How many reassignments the order of a sub-order has. Read before the order itself: the count only
 * grows, so a move that lands after this read, even before the order's, makes the claim refuse
 * (`movesSeen`), never slip by.
 */
export async function movesOfSubOrdersOrder(db: Db, subOrderId: string): Promise<number> {
  const row = await db
    .select({ n: count() })
    .from(reassignments)
    .where(
      eq(
        reassignments.orderId,
        db.select({ orderId: subOrders.orderId }).from(subOrders).where(eq(subOrders.id, subOrderId)),
      ),
    )
    .get();
  return row?.n ?? 0;
}

/** The order's hold has followed the move: nothing is left for the `reassignment-stock` job. */
export async function stockMoveDone(db: Db, reassignmentId: string): Promise<void> {
  await db.update(reassignments).set({ stockMove: null }).where(eq(reassignments.id, reassignmentId));
}

/**
 * Whether a reassignment of the order that names the sub-order (as source or target) has not moved
 * its stock yet: until it has, the order's hold in the stock objects does not match the lines D1
 * gives the sub-order, and shipping it would ship the hold's units, not the lines'. Read through
 * reassignments_order.
 */
export async function stockStillMoving(db: Db, orderId: string, subOrderId: string): Promise<boolean> {
  const row = await db
    .select({ id: reassignments.id })
    .from(reassignments)
    .where(
      and(
        eq(reassignments.orderId, orderId),
        isNotNull(reassignments.stockMove),
        or(eq(reassignments.fromSubOrderId, subOrderId), eq(reassignments.toSubOrderId, subOrderId)),
      ),
    )
    .limit(1)
    .get();
  return row !== undefined;
}

export type PendingStockMove = { id: string; orderId: string; createdAt: string; stockMove: unknown };

/** Claimed moves whose stock has not followed yet, claimed before `before`, oldest first. */
export async function pendingStockMoves(db: Db, before: string, limit: number): Promise<PendingStockMove[]> {
  return db
    .select({
      id: reassignments.id,
      orderId: reassignments.orderId,
      createdAt: reassignments.createdAt,
      stockMove: reassignments.stockMove,
    })
    .from(reassignments)
    .where(and(isNotNull(reassignments.stockMove), lt(reassignments.createdAt, before)))
    .orderBy(asc(reassignments.createdAt))
    .limit(limit)
    .all();
}

/** Stops repeating a move its stock cannot follow, and tells ops, in one batch. */
export async function abandonStockMove(
  db: Db,
  m: { reassignmentId: string; orderId: string; error: string; at: string },
): Promise<void> {
  await db.batch([
    db.update(reassignments).set({ stockMove: null }).where(eq(reassignments.id, m.reassignmentId)),
    queueOpsAlert(db, {
      template: "reassignment_stock_stuck",
      dedupeKey: `reassignment_stock_stuck:${m.reassignmentId}`,
      text: `Reassignment ${m.reassignmentId} of order ${m.orderId} moved the lines, but the stock objects could not follow (${m.error}). Count the SKUs' stock and correct it by hand.`,
      params: { reassignmentId: m.reassignmentId, orderId: m.orderId, error: m.error },
      at: m.at,
    }),
  ]);
}
