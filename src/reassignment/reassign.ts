import { type Db, database } from "../db/client";
import { stockMoveDone } from "../db/reassignment";
import { findSubOrder } from "../db/sub-orders";
import { dispatchOutbox } from "../gateways/order-events";
import { type Background, finishLater } from "../platform/background";
import { type HoldKeys, moveHolds, releaseSetAside, reserveTargets, type StockMove } from "./holds";
import { loadSubject, type Subject } from "./load";
import type { ReassignInput, ReassignOutcome, ReassignRefusal } from "./outcome";
import { refused } from "./outcome";
import { type OverridePlan, planOverride } from "./override";
import {
  type Identity,
  identify,
  type Landed,
  landedAlready,
  landedBefore,
  persistMove,
  refreshOrderStatus,
} from "./persist";
import { repromise } from "./repromise";
import { piecesOf, rewriteRows } from "./rewrite";
import { type Landing, landingOf, vendorsOfOrder } from "./target";

export type { ReassignInput, ReassignOutcome } from "./outcome";

/**
 * Ops moves a paid sub-order's lines (or part of one) to another warehouse or another vendor's
 * offer of the same product, before packing. The shopper's price never changes: a different offer
 * price and any change in shipping cost are recorded against the platform (`reassignments`).
 *
 * The steps, in an order no racing cancel, pack or dispatch can turn into a lost or invented unit:
 * load and check; plan where the units go; set the target's units aside (holds.ts: the order's own
 * hold is untouched, so a racing cancel or dispatch acts on it as if no move were under way); claim
 * and write the move in one guarded D1 batch (persist.ts: nothing lands if a sub-order changed
 * status or another move of the order landed meanwhile, and a confirmed sub-order goes back to
 * paid, so it cannot be packed before its stock has moved); only then move the order's hold;
 * announce.
 */
export async function reassignSubOrder(
  env: Env,
  ctx: Background | undefined,
  input: ReassignInput,
): Promise<ReassignOutcome> {
  // Before the checks: the move this request already made may have emptied or closed the sub-order.
  const earlier = await landedBefore(database(env), input);
  if (earlier) return finishLanded(env, ctx, earlier, input.now);
  const loaded = await loadSubject(env, input);
  if (!loaded.ok) return loaded;
  return reassignLoadedSubOrder(env, ctx, loaded.subject, input);
}

/**
 * `reassignSubOrder` for many sub-orders at once, those of one order one after another: each move
 * is its order's next reassignment (its id counts the order's moves, persist.ts), so two of one
 * order at once would claim the same id and the second would be refused as a change meanwhile.
 * Moves of different orders still run side by side.
 */
export function reassignInTurn(
  env: Env,
  ctx: Background | undefined,
): (input: ReassignInput) => Promise<ReassignOutcome> {
  const db = database(env);
  const lastOf = new Map<string, Promise<unknown>>();
  return async (input) => {
    const sub = await findSubOrder(db, input.subOrderId);
    if (!sub) return refused("NOT_FOUND", "No such sub-order");
    const mine = (lastOf.get(sub.orderId) ?? Promise.resolve()).then(() => reassignSubOrder(env, ctx, input));
    lastOf.set(
      sub.orderId,
      mine.catch(() => undefined),
    );
    return mine;
  };
}

/**
 * The move of a sub-order already read and checked (`loadSubject`). The read may be stale by now:
 * whatever changed since (a cancel and its refund, a pack, another move) is refused, not moved.
 */
export async function reassignLoadedSubOrder(
  env: Env,
  ctx: Background | undefined,
  subject: Subject,
  input: ReassignInput,
): Promise<ReassignOutcome> {
  const db = database(env);
  const planned = await planMove(env, db, subject, input);
  if (!planned.ok) return planned;
  const id = await identify(subject, input);
  const keys: HoldKeys = {
    order: subject.agg.order,
    key: `${id.reassignmentId}:${id.requestHash}`,
    reason: `reassigned: ${input.reason}`.slice(0, 200),
    actor: `${input.actor.role}:${input.actor.id ?? ""}`,
  };
  const reserve = (reopen: boolean) =>
    reserveTargets(env, keys, planned.plan.plan.reservations, subject.moves, input.now, { reopen });
  let reserved = await reserve(false);
  const already = reserved.ok ? null : await landedAlready(db, id);
  if (already) return finishLanded(env, ctx, already, input.now);
  // Closed by an earlier attempt of this request that did not land (refused, or failed): it gave its
  // units back, so this one sets them aside afresh. One that landed is found just above, and finished
  // there: its set-aside closes only after the move landed (joined to the order's hold, or refused).
  if (!reserved.ok && reserved.code === "SET_ASIDE_CLOSED") reserved = await reserve(true);
  if (!reserved.ok) {
    return reserved.code === "SET_ASIDE_CLOSED"
      ? refused("ILLEGAL_TRANSITION", "An earlier attempt of this reassignment already settled it", [])
      : reserved;
  }

  const stockMove: StockMove = { keys, moves: subject.moves, setAside: reserved.setAside };
  const landed = await settleInD1(env, db, { subject, ...planned, stockMove, id }, input);
  if (typeof landed !== "string") return landed;
  // Outside `settleInD1`: from here on the move stands, whatever fails.
  if (landed === "landed") await refreshOrderStatus(db, subject.agg.order.id, input.now);
  // A duplicate of the same request moves too: its calls are the same keyed calls, so whichever runs second repeats nothing.
  return finishLanded(
    env,
    ctx,
    { orderId: subject.agg.order.id, reassignmentId: id.reassignmentId, stockMove },
    input.now,
  );
}

/**
 * The answer to a move whose claim landed (this attempt's, or an earlier one's of the same request).
 * An unfinished stock move is made, or repeated, first: an earlier attempt's may have been cut short
 * or refused (answered with an error, which frees the key for a retry), and D1 already says the units
 * moved. Its calls are keyed, so nothing moves twice; it is ok only once the order's hold has moved,
 * and the same error as before while it still cannot (its set-aside lapsed and the target sold out).
 */
async function finishLanded(
  env: Env,
  ctx: Background | undefined,
  { orderId, reassignmentId, stockMove }: Landed,
  now: Date,
): Promise<ReassignOutcome> {
  if (stockMove) {
    await moveHolds(env, orderId, stockMove);
    await stockMoveDone(database(env), reassignmentId);
    await finishLater(ctx, dispatchOutbox(env, [`sub_order.reassigned:${reassignmentId}`], now));
  }
  return { ok: true, orderId };
}

/** Where the units go (the plan) and which sub-order they join (the landing). */
async function planMove(
  env: Env,
  db: Db,
  subject: Subject,
  input: ReassignInput,
): Promise<{ ok: true; plan: OverridePlan; landing: Landing } | ReassignRefusal> {
  const { agg, moves } = subject;
  const { live, closed } = vendorsOfOrder(subject);
  const planned = await planOverride(env, db, {
    moves,
    target: input.target,
    shipTo: { lat: agg.order.shipLat, lng: agg.order.shipLng },
    now: input.now,
    inOrder: live,
    closed,
  });
  if (!planned.ok) {
    const detail =
      planned.code === "VALIDATION_FAILED"
        ? planned.errors.map((e) => `${e.path}: ${e.message}`).join("; ")
        : planned.detail;
    return refused(planned.code, detail);
  }
  const landing = landingOf(subject, planned.value.vendorId);
  return landing.ok ? { ok: true, plan: planned.value, landing: landing.landing } : landing;
}

/**
 * Prices the rows after the move and writes them under the claim. Whatever does not land (a
 * refusal, a failure) gives the set-aside units back; a duplicate of the same request shares them.
 */
async function settleInD1(
  env: Env,
  db: Db,
  move: { subject: Subject; plan: OverridePlan; landing: Landing; stockMove: StockMove; id: Identity },
  input: ReassignInput,
): Promise<"landed" | "duplicate" | ReassignRefusal> {
  const { subject, plan, landing, stockMove, id } = move;
  const { setAside } = stockMove;
  let landed: "landed" | "duplicate" | ReassignRefusal | undefined;
  try {
    const rewrite = rewriteRows(subject, landing, plan, piecesOf(subject.moves, plan, setAside), input.now);
    const platformCostMinor = await repromise(env, db, subject, rewrite, input.now);
    landed = await persistMove(db, { subject, landing, rewrite, platformCostMinor, id, stockMove }, input);
  } finally {
    if (typeof landed !== "string") await releaseSetAside(env, setAside);
  }
  return landed;
}
