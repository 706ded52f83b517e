import type { SubOrderReassignedPayload } from "../contracts/events";
import type { SubOrderStatus } from "../contracts/order-status";
import { REASSIGNED } from "../contracts/order-status";
import type { Db } from "../db/client";
import type { SubOrderRow } from "../db/orders";
import { type ReassignmentWrite, type SeenSubOrder, type SubOrderChange, writeReassignment } from "../db/reassignment";
import { countReassignments, findReassignment } from "../db/routing";
import { findSubOrder, refreshParentStatus } from "../db/sub-orders";
import { sha256Hex } from "../domain/crypto";
import { newId } from "../domain/ids";
import type { Journal } from "../domain/ledger";
import { deriveOrderStatus } from "../domain/order-status";
import { allowedFrom } from "../domain/sub-order-lifecycle";
import { isoSeconds } from "../domain/time";
import { type ReassignmentLedger, reassignmentJournal } from "../money/postings";
import type { StockMove } from "./holds";
import type { Subject } from "./load";
import { type ReassignInput, type ReassignRefusal, refused } from "./outcome";
import type { Rewrite } from "./rewrite";
import type { Landing } from "./target";

/** Names one reassignment: the order's next one, and the request that asks for it. */
export type Identity = { reassignmentId: string; requestHash: string; attempt: string };

/** The order's `n`th reassignment (from 1). */
const reassignmentIdOf = (orderId: string, n: number) => `ra_${orderId.replace(/^ord_/, "")}_${n}`;

/**
 * The request as asked, under its Idempotency-Key: not as resolved against the order, which the
 * request itself changes, so a retry hashes the same once its first attempt has landed.
 */
async function requestHashOf(input: ReassignInput): Promise<string> {
  const request = JSON.stringify([input.key, input.subOrderId, input.lines ?? null, input.target, input.reason]);
  return (await sha256Hex(request)).slice(0, 16);
}

/** The order's next reassignment after those it had when the move read it (a later one refuses its claim). */
export async function identify({ agg, movesBefore }: Subject, input: ReassignInput): Promise<Identity> {
  return {
    reassignmentId: reassignmentIdOf(agg.order.id, movesBefore + 1),
    requestHash: await requestHashOf(input),
    attempt: newId("att"),
  };
}

/** How many of an order's latest reassignments a retry is looked for among (a retry comes within moments). */
const RETRY_LOOKBACK = 5;

/** A reassignment that landed, and its stock move while that is unfinished (null once the order's hold moved). */
export type Landed = { orderId: string; reassignmentId: string; stockMove: StockMove | null };

type ReassignmentRow = NonNullable<Awaited<ReturnType<typeof findReassignment>>>;

/** The row as a landing of the request hashed `requestHash`, or null when another request landed it. */
function landingOf(row: ReassignmentRow | undefined, requestHash: string): Landed | null {
  if ((row?.moves as { requestHash?: string } | undefined)?.requestHash !== requestHash) return null;
  return { orderId: row!.orderId, reassignmentId: row!.id, stockMove: (row!.stockMove as StockMove | null) ?? null };
}

/**
 * This request (its Idempotency-Key and body), when it already landed as one of the order's latest
 * reassignments; else null. A reassignment's id counts the order's moves, so a retry after its
 * first attempt landed is the order's next one: without this it would move the units again (the
 * first attempt's answer may be lost, or an error once landed, which frees the stored key).
 */
export async function landedBefore(db: Db, input: ReassignInput): Promise<Landed | null> {
  const sub = await findSubOrder(db, input.subOrderId);
  const n = sub ? await countReassignments(db, sub.orderId) : 0;
  if (!sub || n === 0) return null;
  const requestHash = await requestHashOf(input);
  const latest = Array.from({ length: Math.min(n, RETRY_LOOKBACK) }, (_, i) => reassignmentIdOf(sub.orderId, n - i));
  const rows = await Promise.all(latest.map((id) => findReassignment(db, id)));
  return rows.map((r) => landingOf(r, requestHash)).find((l) => l !== null) ?? null;
}

/** The same request's landing (sent twice at once), else null: its stock calls were the same keyed calls. */
export async function landedAlready(db: Db, id: Identity): Promise<Landed | null> {
  return landingOf(await findReassignment(db, id.reassignmentId), id.requestHash);
}

/** Refused because the order moved on after the reassignment read it; nothing was written. */
const changedMeanwhile = (): ReassignRefusal =>
  refused(
    "ILLEGAL_TRANSITION",
    "The order changed meanwhile (another reassignment, or the sub-order was packed, cancelled or moved); nothing was moved",
    [],
  );

/**
 * Writes the move as one guarded D1 batch (db/reassignment.ts): "landed" when this attempt's claim
 * held, "duplicate" when the same request landed under another attempt, a refusal when a sub-order
 * changed status or another reassignment of the order landed since the read (then nothing was
 * written).
 */
export async function persistMove(
  db: Db,
  move: {
    subject: Subject;
    landing: Landing;
    rewrite: Rewrite;
    platformCostMinor: number;
    id: Identity;
    stockMove: StockMove;
  },
  input: ReassignInput,
): Promise<"landed" | "duplicate" | ReassignRefusal> {
  const { subject, landing, rewrite } = move;
  const seen = seenOf(subject, landing);
  const ledger = await reassignmentJournal(db, {
    reassignmentId: move.id.reassignmentId,
    orderId: subject.agg.order.id,
    currency: subject.agg.order.currency,
    at: isoSeconds(input.now),
    sourceBefore: subject.sub,
    source: rewrite.source,
    target: rewrite.target,
    priceDifferenceMinor: rewrite.priceDifference,
    sourceAdjustmentMinor: rewrite.adjustmentCarried,
    seen,
  });
  // The same request landing first under another attempt moved the sub-orders on too.
  if (!ledger.ok) return (await landedAlready(db, move.id)) ? "duplicate" : ledgerMoved(ledger);
  if (await writeReassignment(db, writeOf(move, input, seen, ledger.journal))) return "landed";
  return (await landedAlready(db, move.id)) ? "duplicate" : changedMeanwhile();
}

/**
 * Re-derives the order's status once the move landed: the batch derived it from the sub-orders as
 * read, and one the move did not read (a sibling cancelled or dispatched meanwhile) may have moved
 * it since. Best effort: the move is in D1 by now and stands whatever happens here (a failure must
 * not give back the units set aside for it, nor answer a move that happened with a 500); the
 * sibling's next transition derives the status again.
 */
export async function refreshOrderStatus(db: Db, orderId: string, now: Date): Promise<void> {
  try {
    await refreshParentStatus(db, orderId, isoSeconds(now));
  } catch (err) {
    console.error(JSON.stringify({ reassignment: "order status not refreshed", orderId, error: String(err) }));
  }
}

/**
 * The columns of a sub-order the move changed, and its id: the update leaves the others as they are
 * now, so what landed since the move's read (an approval starting the SLA clock) is not written back.
 */
function changedColumns(before: SubOrderRow | undefined, after: SubOrderRow): SubOrderChange {
  const row = after as Record<string, unknown>;
  const was = (before ?? {}) as Record<string, unknown>;
  const changed = Object.keys(row).filter((k) => row[k] !== was[k]);
  return Object.fromEntries([
    ["id", after.id],
    ["updatedAt", after.updatedAt],
    ...changed.map((k) => [k, row[k]]),
  ]) as SubOrderChange;
}

/** The sub-orders the move reads and rewrites as they were read: its batch lands only if they are still so. */
function seenOf({ sub }: Subject, landing: Landing): SeenSubOrder[] {
  return [sub, ...(landing.existing ? [landing.existing] : [])].map((s) => ({ id: s.id, status: s.status }));
}

/** The refusal for a ledger read that found the order moved on (a cancel, most often, and its refund posted). */
function ledgerMoved(l: Exclude<ReassignmentLedger, { ok: true }>): ReassignRefusal {
  if (l.code === "SOURCE_SELLS_LESS") {
    return refused(
      "ILLEGAL_TRANSITION",
      `Sub-order ${l.subOrderId} was refunded while the move was being prepared; nothing was moved`,
      [],
    );
  }
  if (l.status === null) return changedMeanwhile();
  return refused(
    "ILLEGAL_TRANSITION",
    `Sub-order ${l.subOrderId} is ${l.status} now: it changed while the move was being prepared; nothing was moved`,
    allowedFrom(l.status as SubOrderStatus),
  );
}

function writeOf(
  { subject, landing, rewrite, platformCostMinor, id, stockMove }: Parameters<typeof persistMove>[1],
  input: ReassignInput,
  seen: SeenSubOrder[],
  ledger: Journal | null,
): ReassignmentWrite {
  const { agg, sub } = subject;
  const { order } = agg;
  const at = isoSeconds(input.now);
  const { target, moved } = rewrite;
  const actor = { actorRole: input.actor.role, actorId: input.actor.id };
  const dedupeKey = `sub_order.reassigned:${id.reassignmentId}`;
  const toVendorId = target.vendorId;
  const record = {
    requestHash: id.requestHash,
    attempt: id.attempt,
    target: input.target,
    mode: landing.mode,
    moves: moved,
  };
  return {
    reassignment: {
      id: id.reassignmentId,
      orderId: order.id,
      fromSubOrderId: sub.id,
      toSubOrderId: target.id,
      moves: record,
      platformCostMinor,
      currency: order.currency,
      ...actor,
      reason: input.reason,
      createdAt: at,
      stockMove,
    },
    attempt: id.attempt,
    seen,
    movesSeen: subject.movesBefore,
    orderId: order.id,
    orderStatus: deriveOrderStatus(
      [...rewrite.subs.values()]
        .filter((s) => !(s.status === "cancelled" && s.cancellationReason === REASSIGNED))
        .map((s) => s.status as SubOrderStatus),
    ),
    subOrders: {
      insert: rewrite.newTarget ? [target] : [],
      update: [...new Set([rewrite.source, target])]
        .filter((s) => !(rewrite.newTarget && s === target))
        .map((s) =>
          changedColumns(
            agg.subOrders.find((x) => x.id === s.id),
            s,
          ),
        ),
    },
    lines: linesOf(subject, rewrite),
    events: eventsOf(subject, rewrite, { ...actor, reason: input.reason, at, platformCostMinor }, id),
    outbox: {
      type: "sub_order.reassigned",
      orderId: order.id,
      payload: {
        orderId: order.id,
        subOrderId: sub.id,
        vendorId: sub.vendorId,
        toSubOrderId: target.id,
        toVendorId,
        moves: moved,
      } satisfies SubOrderReassignedPayload,
      dedupeKey,
      createdAt: at,
    },
    ledger,
  };
}

/** The timeline: the move on the source, and its arrival on the target when that is another sub-order. */
function eventsOf(
  { agg, sub }: Subject,
  { target, moved }: Rewrite,
  common: { actorRole: string; actorId: string | null; reason: string; at: string; platformCostMinor: number },
  id: Identity,
): ReassignmentWrite["events"] {
  const { platformCostMinor, ...row } = common;
  const orderId = agg.order.id;
  const out: ReassignmentWrite["events"] = [
    {
      ...row,
      orderId,
      subOrderId: sub.id,
      type: "sub_order.reassigned",
      data: {
        toSubOrderId: target.id,
        fromVendorId: sub.vendorId,
        toVendorId: target.vendorId,
        moves: moved,
        platformCostMinor,
      },
      dedupeKey: `sub_order.reassigned:${id.reassignmentId}`,
    },
  ];
  if (target.id === sub.id) return out;
  out.push({
    ...row,
    orderId,
    subOrderId: target.id,
    type: "sub_order.reassigned_in",
    data: { fromSubOrderId: sub.id, fromVendorId: sub.vendorId, moves: moved },
    dedupeKey: `sub_order.reassigned_in:${id.reassignmentId}`,
  });
  return out;
}

/** Line items to insert, to change in quantity, and emptied ones to delete. */
function linesOf({ agg }: Subject, { items, created }: Rewrite): ReassignmentWrite["lines"] {
  const out: ReassignmentWrite["lines"] = { insert: [], update: [], remove: [] };
  for (const l of items.values()) {
    if (created.has(l.id)) out.insert.push(l);
    else if (l.qty === 0) out.remove.push(l.id);
    else if (l.qty !== agg.lines.find((x) => x.id === l.id)!.qty) out.update.push(l);
  }
  return out;
}
