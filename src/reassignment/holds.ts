import { releaseStrayUnits } from "../cancellation/stray-units";
import { database } from "../db/client";
import { loadOrderState, type OrderRow } from "../db/orders";
import type { Reservation } from "../domain/routing/types";
import { type Allocation, type ReallocateRequest, type ReallocateResult, stockObject } from "../gateways/stock";
import { type ReassignRefusal, refused } from "./outcome";
import type { MovedUnits } from "./override";

/**
 * The stock side of a reassignment, in two steps around the D1 claim.
 *
 * Before the claim nothing touches the order's own hold: the units the target needs are set aside
 * under a hold of their own (`reserveTargets`). A cancel, pack or dispatch racing the move acts on
 * the order's hold exactly as it would without it, and a lost claim only drops the set-aside holds.
 *
 * After the claim (`moveHolds`) each SKU's object moves the units in one call: the set-aside hold's
 * units pass to the order's hold in exactly the warehouses the claim wrote, and the order's hold
 * gives up its units in the source warehouses. A take is refused whole when a cancel released the
 * order's hold first: once that cancel has landed nothing more moves, and while a live line still
 * names the SKU the hold starts afresh as the lines say (`holdAsLinesSay`). Units that joined a
 * sub-order cancelled meanwhile are given back after the move (see `releaseStrayUnits`), so a racing
 * cancel never leaves units held for a cancelled one.
 */

/** Units set aside for one SKU: where they are, under which hold. */
export type SetAside = { skuId: string; holdId: string; allocations: Allocation[] };

export type HoldKeys = {
  /** The order's hold and its terms. */
  order: Pick<OrderRow, "holdId" | "holdExpiresAt" | "customerId">;
  /** Names this reassignment (its id and request) in every stock call, so a retry repeats nothing. */
  key: string;
  reason: string;
  actor: string;
};

/**
 * Everything `moveHolds` needs, kept with the claim (`reassignments.stock_move`) until the move is
 * done, so the `reassignment-stock` job can repeat it when the request that claimed it did not
 * finish (its Worker stopped, a stock object was unreachable). Every call in it is keyed, so a
 * repeat moves nothing twice.
 */
export type StockMove = { keys: HoldKeys; moves: MovedUnits[]; setAside: SetAside[] };

/** A set-aside hold outlives a crash between the two steps by this long, then returns by itself. */
const SET_ASIDE_MS = 15 * 60 * 1000;

/**
 * Sets aside the units every gaining SKU needs, never in a warehouse its moved units come from.
 * All or nothing: a shortage anywhere gives back what was set aside and refuses.
 */
export async function reserveTargets(
  env: Env,
  keys: HoldKeys,
  reservations: readonly Reservation[],
  moves: readonly MovedUnits[],
  now: Date,
  opts: { reopen: boolean },
): Promise<{ ok: true; setAside: SetAside[] } | ReassignRefusal | { ok: false; code: "SET_ASIDE_CLOSED" }> {
  const requests = reservations.map((r) => ({
    skuId: r.skuId,
    holdId: `${keys.order.holdId}~${keys.key}`,
    qty: r.qty,
    warehouses: r.warehouses.filter((w) => !moves.some((m) => m.skuId === r.skuId && m.warehouseId === w)),
    expiresAt: now.getTime() + SET_ASIDE_MS,
    reopen: opts.reopen,
  }));
  const settled = await Promise.allSettled(requests.map((r) => stockObject(env, r.skuId).reserve(r)));
  const setAside: SetAside[] = [];
  let failure: unknown;
  let short: { requested: number; available: number } | undefined;
  let closed = false;
  settled.forEach((s, i) => {
    const { skuId, holdId } = requests[i]!;
    if (s.status === "rejected") failure ??= s.reason;
    else if (s.value.ok) setAside.push({ skuId, holdId, allocations: s.value.allocations });
    else if (s.value.code === "OUT_OF_STOCK") short ??= s.value;
    // Only an earlier attempt of this same request can have closed a hold under this name: it joined
    // the order's hold (that attempt landed) or was given back (it did not).
    else if (s.value.code === "HOLD_CLOSED") closed = true;
    else failure ??= new Error(`reassignment set-aside ${holdId} ${skuId}: ${s.value.code}`);
  });
  if (failure === undefined && short === undefined && !closed) return { ok: true, setAside };
  await releaseSetAside(env, setAside);
  if (failure !== undefined) throw failure;
  if (closed) return { ok: false, code: "SET_ASIDE_CLOSED" };
  return refused(
    "OUT_OF_STOCK",
    `The target holds ${short!.available} of the ${short!.requested} units needed; nothing was moved`,
  );
}

/** Gives set-aside units back (a lost claim, a refusal). Idempotent. */
export async function releaseSetAside(env: Env, setAside: readonly SetAside[]): Promise<void> {
  await Promise.all(setAside.map((s) => stockObject(env, s.skuId).release(s.holdId, "reassignment_dropped")));
}

/**
 * Moves the order's hold after the claim landed, one call per SKU. A gaining SKU's call releases its
 * set-aside hold and adds those units to the order's hold in one critical section of its object, so
 * no other claim can take them in between. Gaining SKUs go first and SKUs that only lose units after,
 * so a refused gain never leaves the order with fewer units than its lines. What a racing cancel
 * already decided stands. Any other refusal (say a set-aside that lapsed, its warehouse sold out
 * since) is thrown: D1 already says the move happened, so it must not be answered as a success.
 */
export async function moveHolds(env: Env, orderId: string, { keys, moves, setAside }: StockMove): Promise<void> {
  const gaining = setAside.map((s) => s.skuId).sort();
  const losing = [...new Set(moves.map((m) => m.skuId))].filter((skuId) => !gaining.includes(skuId)).sort();
  const move = async (skuIds: string[]) =>
    (await Promise.all(skuIds.map((skuId) => moveSku(env, orderId, keys, skuId, moves, setAside)))).filter(
      (refusal) => refusal !== null,
    );
  let failed = await move(gaining);
  if (failed.length === 0) failed = await move(losing);
  if (failed.length > 0) {
    throw new Error(`reassignment ${keys.key}: written in D1 but the stock did not move (${failed.join("; ")})`);
  }
  // The sub-order the units joined may have been cancelled since its release: they go back.
  await releaseStrayUnits(env, { id: orderId, holdId: keys.order.holdId });
}

/** One SKU's share of the move; null when it moved or a racing cancel decided it, else what refused it. */
async function moveSku(
  env: Env,
  orderId: string,
  keys: HoldKeys,
  skuId: string,
  moves: readonly MovedUnits[],
  setAside: readonly SetAside[],
): Promise<string | null> {
  const aside = setAside.find((s) => s.skuId === skuId);
  const request = moveRequest(keys, skuId, moves, aside);
  const stock = stockObject(env, skuId);
  const result = await stock.reallocate(request);
  if (result.ok) return null;
  const owed = releasedFirst(result, request) ? await unitsOwed(env, orderId, skuId) : null;
  const settled = owed?.length ? await holdAsLinesSay(stock, request, owed) : result;
  if (settled.ok) return null;
  // Refused whole: the set-aside units are still set aside, and join nothing now.
  if (aside) await stock.release(aside.holdId, "reassignment_dropped");
  // The cancel that released the hold landed: its units are back in stock, and none joined it.
  if (owed?.length === 0) return null;
  console.error(JSON.stringify({ msg: "reassignment stock move refused", skuId, key: request.key, result: settled }));
  return `${skuId}: ${settled.code}`;
}

function moveRequest(
  keys: HoldKeys,
  skuId: string,
  moves: readonly MovedUnits[],
  aside: SetAside | undefined,
): ReallocateRequest {
  const take = new Map<string, number>();
  for (const m of moves.filter((x) => x.skuId === skuId))
    take.set(m.warehouseId, (take.get(m.warehouseId) ?? 0) + m.qty);
  return {
    skuId,
    holdId: keys.order.holdId,
    ...(take.size > 0 ? { take: [...take].map(([warehouseId, qty]) => ({ warehouseId, qty })) } : {}),
    // One part per warehouse: the units land exactly where the claim wrote them.
    ...(aside
      ? { add: aside.allocations.map((a) => ({ qty: a.qty, warehouses: [a.warehouseId] })), setAside: aside.holdId }
      : {}),
    status: "committed",
    expiresAt: Date.parse(keys.order.holdExpiresAt),
    customerId: keys.order.customerId,
    reason: keys.reason,
    actor: keys.actor,
    key: `${keys.key}:${skuId}`,
  };
}

/**
 * A take refused because a racing cancel released the order's hold first (its units are back in
 * stock and, the call being refused whole, none joined it), or whose key `holdAsLinesSay` already
 * used on an earlier attempt of this move.
 */
function releasedFirst(result: Exclude<ReallocateResult, { ok: true }>, request: ReallocateRequest): boolean {
  if (!request.take) return false;
  return (
    result.code === "NOT_HELD" ||
    result.code === "KEY_REUSED" ||
    (result.code === "HOLD_CLOSED" && result.status === "released")
  );
}

/** The units of the SKU the order's live lines name, per warehouse, as D1 has them now. */
async function unitsOwed(env: Env, orderId: string, skuId: string): Promise<Allocation[]> {
  const agg = await loadOrderState(database(env), orderId);
  const live = new Set(agg?.subOrders.filter((s) => s.status !== "cancelled").map((s) => s.id));
  const owed = new Map<string, number>();
  for (const l of agg?.lines ?? []) {
    if (l.skuId === skuId && l.qty > 0 && live.has(l.subOrderId)) {
      owed.set(l.warehouseId, (owed.get(l.warehouseId) ?? 0) + l.qty);
    }
  }
  return [...owed].map(([warehouseId, qty]) => ({ warehouseId, qty }));
}

/**
 * The take met a hold a cancel released though a live line still names the SKU: that cancel has not
 * landed, and may never (the SLA watcher's is refused once the move gave the sub-order a new deadline,
 * and then holds the units again in the warehouses it released them from, `holdAgain`). So the hold
 * starts afresh as the lines say, the set-aside units joining it: a hold again then finds it committed
 * and holds nothing where the units were, and a cancel that lands after frees them
 * (`releaseStrayUnits`, the move's or the cancel's). Under the move's own key, so a repeat of the move
 * is refused there (`KEY_REUSED`) and replays this, never taking the units a second time. A hold again
 * that landed just before finds its units added to: those it found are taken back.
 */
async function holdAsLinesSay(
  stock: ReturnType<typeof stockObject>,
  request: ReallocateRequest,
  owed: readonly Allocation[],
): Promise<ReallocateResult> {
  const { take: _take, ...unchanged } = request;
  const afresh = await stock.reallocate({
    ...unchanged,
    // One part per warehouse: the units land exactly where the lines are.
    add: owed.map((a) => ({ qty: a.qty, warehouses: [a.warehouseId] })),
  });
  if (!afresh.ok) return afresh;
  const found = beyond(afresh.allocations, afresh.added);
  if (found.length === 0) return afresh;
  const { add: _add, setAside: _setAside, ...plain } = unchanged;
  return stock.reallocate({ ...plain, take: found, key: `${request.key}:found` });
}

/** What `held` has beyond `added`, per warehouse: the units a hold had before they were added. */
function beyond(held: readonly Allocation[], added: readonly Allocation[]): Allocation[] {
  const left = new Map<string, number>();
  for (const a of held) left.set(a.warehouseId, (left.get(a.warehouseId) ?? 0) + a.qty);
  for (const a of added) left.set(a.warehouseId, (left.get(a.warehouseId) ?? 0) - a.qty);
  return [...left].filter(([, qty]) => qty > 0).map(([warehouseId, qty]) => ({ warehouseId, qty }));
}
