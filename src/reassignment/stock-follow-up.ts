import { database } from "../db/client";
import { abandonStockMove, pendingStockMoves, stockMoveDone } from "../db/reassignment";
import { isoSeconds } from "../domain/time";
import { moveHolds, type StockMove } from "./holds";

/** A claim this young may still be moving its stock in the request that made it. */
const SETTLING_MS = 60_000;
/**
 * Repeated for this long, then left to ops: by then the set-aside units have long lapsed, and a
 * move still refused lacks units in the warehouses the claim wrote.
 */
const GIVE_UP_MS = 60 * 60 * 1000;
const PAGE = 20;

/**
 * Sees through reassignments whose D1 claim landed but whose stock move did not finish: repeats
 * the move (keyed, so whatever already moved is not moved twice) and marks it done, or after
 * `GIVE_UP_MS` stops and alerts ops. Until then D1 and the stock objects disagree on where the
 * units are, and the set-aside units would return to sale after 15 minutes.
 */
export async function followUpStockMoves(env: Env, now: Date) {
  const db = database(env);
  const pending = await pendingStockMoves(db, isoSeconds(new Date(now.getTime() - SETTLING_MS)), PAGE);
  const result = { moved: 0, waiting: 0, abandoned: 0 };
  for (const p of pending) {
    try {
      await moveHolds(env, p.orderId, p.stockMove as StockMove);
      await stockMoveDone(db, p.id);
      result.moved += 1;
    } catch (e) {
      if (now.getTime() - Date.parse(p.createdAt) < GIVE_UP_MS) {
        result.waiting += 1;
        continue;
      }
      const error = e instanceof Error ? e.message : String(e);
      await abandonStockMove(db, { reassignmentId: p.id, orderId: p.orderId, error, at: isoSeconds(now) });
      result.abandoned += 1;
    }
  }
  return result;
}
