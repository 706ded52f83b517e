import { and, asc, eq, gte, isNull, lt, type SQL, sql } from "drizzle-orm";
import type { Db, Statement } from "./client";
import { lineItems, orderEvents, returnClaims, subOrders } from "./schema";

/** A line of a return's claim; claims written before `restockable` was kept lack it. */
export type ReturnedLine = { lineId: string; qty: number; restockable?: boolean };

/**
 * Claims the units of a return in one conditional statement: the claim row is written only if every
 * line it names, of this sub-order, still has that many units not yet returned, and the lines'
 * returned counts grow only under the claim this call wrote (its `claim` token), as does whatever
 * `alsoUnderClaim` adds (given that guard: the refund the return owes). Of two returns racing for
 * the same units one claim is written; a replay of the same key writes nothing and finds its claim.
 * Returns whether this call claimed.
 */
export async function claimReturn(
  db: Db,
  r: { id: string; subOrderId: string; lines: ReturnedLine[]; claim: string; at: string },
  alsoUnderClaim: (claimed: SQL) => Statement[] = () => [],
): Promise<boolean> {
  const lines = JSON.stringify(r.lines);
  const ours = sql`exists (select 1 from ${returnClaims} where ${returnClaims.id} = ${r.id} and ${returnClaims.claim} = ${r.claim})`;
  const [claimed] = (await db.batch([
    db
      .insert(returnClaims)
      .select(
        sql`select ${r.id}, ${r.subOrderId}, ${lines}, ${r.claim}, ${r.at}, null where not exists (select 1 from json_each(${lines}) as l join ${lineItems} on ${lineItems.id} = json_extract(l.value, '$.lineId') where ${lineItems.subOrderId} = ${r.subOrderId} and ${lineItems.returnedQty} + json_extract(l.value, '$.qty') > ${lineItems.qty})`,
      )
      .onConflictDoNothing()
      .returning({ id: returnClaims.id }),
    ...r.lines.map(
      (l): Statement =>
        db
          .update(lineItems)
          .set({ returnedQty: sql`${lineItems.returnedQty} + ${l.qty}` })
          .where(and(eq(lineItems.id, l.lineId), eq(lineItems.subOrderId, r.subOrderId), ours)),
    ),
    ...alsoUnderClaim(ours),
  ])) as unknown as [{ id: string }[], ...unknown[]];
  return claimed.length > 0;
}

export async function findReturnClaim(db: Db, id: string) {
  const row = await db.select().from(returnClaims).where(eq(returnClaims.id, id)).get();
  return row ? { ...row, lines: row.lines as ReturnedLine[] } : undefined;
}

/**
 * Whether the return under this key was recorded (its timeline event, written after its units were
 * restocked): a retry finding it restocks nothing, however long after.
 */
export async function returnRecorded(db: Db, key: string): Promise<boolean> {
  const row = await db
    .select({ id: orderEvents.id })
    .from(orderEvents)
    .where(and(eq(orderEvents.dedupeKey, key), eq(orderEvents.type, "sub_order.returned")))
    .get();
  return row !== undefined;
}

/**
 * Claims made in [`from`, `before`) whose return was never recorded (their request stopped after
 * claiming), oldest first, from the index of claims not recorded. Claims from before `restockable`
 * was kept are left out: only a retry of their key says.
 */
export async function unrecordedReturnClaims(
  db: Db,
  r: { from: string; before: string; limit: number },
): Promise<{ id: string; subOrderId: string; lines: Required<ReturnedLine>[] }[]> {
  const rows = await db
    .select({ id: returnClaims.id, subOrderId: returnClaims.subOrderId, lines: returnClaims.lines })
    .from(returnClaims)
    .where(
      and(
        isNull(returnClaims.recordedAt),
        gte(returnClaims.createdAt, r.from),
        lt(returnClaims.createdAt, r.before),
        sql`not exists (select 1 from json_each(${returnClaims.lines}) as l where json_type(l.value, '$.restockable') is null)`,
      ),
    )
    .orderBy(asc(returnClaims.createdAt))
    .limit(r.limit)
    .all();
  return rows.map((row) => ({ ...row, lines: row.lines as Required<ReturnedLine>[] }));
}

/** Notes the claim's return recorded, in the batch that records it: the follow-up job looks no more. */
export function markClaimRecorded(db: Db, key: string, at: string): Statement {
  return db
    .update(returnClaims)
    .set({ recordedAt: at })
    .where(and(eq(returnClaims.id, key), isNull(returnClaims.recordedAt)));
}

/** Marks a delivered sub-order returned once every unit of every line is back, as the statement runs. */
export function markReturnedIfAllBack(db: Db, subOrderId: string, at: string): Statement {
  return db
    .update(subOrders)
    .set({ status: "returned", returnedAt: at, updatedAt: at })
    .where(
      and(
        eq(subOrders.id, subOrderId),
        eq(subOrders.status, "delivered"),
        sql`not exists (select 1 from ${lineItems} where ${lineItems.subOrderId} = ${subOrderId} and ${lineItems.returnedQty} < ${lineItems.qty})`,
      ),
    );
}
