/**
 * Where a SKU's units come from among its warehouses. Pure: the stock object reads its levels,
 * asks for a plan here and writes the plan in the same synchronous critical section, so the levels
 * a plan was made from are still the levels when it is applied.
 */

export type Allocation = { warehouseId: string; qty: number };
/** Units free to promise in one warehouse: on hand less held and committed. */
export type Level = { warehouseId: string; available: number };

export type OutOfStock = { ok: false; code: "OUT_OF_STOCK"; requested: number; available: number };
export type AllocationPlan = { ok: true; allocations: Allocation[] } | OutOfStock;

function availabilityOf(levels: readonly Level[]): Map<string, number> {
  return new Map(levels.map((l) => [l.warehouseId, l.available]));
}

function rankedFrom(ranking: readonly string[], available: ReadonlyMap<string, number>): Level[] {
  return [...new Set(ranking)].map((warehouseId) => ({ warehouseId, available: available.get(warehouseId) ?? 0 }));
}

function place(qty: number, ranked: readonly Level[]): AllocationPlan {
  // One parcel when one warehouse can send it all: the first ranked that covers the whole quantity.
  const whole = ranked.find((w) => w.available >= qty);
  if (whole) return { ok: true, allocations: [{ warehouseId: whole.warehouseId, qty }] };
  const allocations: Allocation[] = [];
  let left = qty;
  for (const w of ranked) {
    const take = Math.min(left, w.available);
    if (take > 0) {
      allocations.push({ warehouseId: w.warehouseId, qty: take });
      left -= take;
    }
    if (left === 0) return { ok: true, allocations };
  }
  const available = ranked.reduce((s, w) => s + w.available, 0);
  return { ok: false, code: "OUT_OF_STOCK", requested: qty, available };
}

/**
 * `qty` units (an integer >= 1) from the ranked warehouses, best first; only these may be used and a
 * warehouse named twice counts once. The first that covers the whole quantity takes it; otherwise
 * the units split greedily in ranked order. All or nothing: short means no allocation at all.
 */
export function allocate(qty: number, ranking: readonly string[], levels: readonly Level[]): AllocationPlan {
  return place(qty, rankedFrom(ranking, availabilityOf(levels)));
}

export type ReallocationRequest = {
  /** The hold's live units per warehouse (none when it holds nothing live). */
  held: readonly Allocation[];
  levels: readonly Level[];
  /** Units leaving the hold, from exactly these warehouses. */
  take: readonly Allocation[];
  /** Units joining the hold, each part allocated as `allocate` does. */
  add: readonly { qty: number; warehouses: readonly string[] }[];
};

export type ReallocationPlan =
  | { ok: true; taken: Allocation[]; added: Allocation[] }
  | OutOfStock
  | { ok: false; code: "NOT_HELD"; warehouseId: string; held: number; requested: number };

function sumByWarehouse(parts: readonly Allocation[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of parts) out.set(p.warehouseId, (out.get(p.warehouseId) ?? 0) + p.qty);
  return out;
}

const listOf = (m: ReadonlyMap<string, number>): Allocation[] =>
  [...m].map(([warehouseId, qty]) => ({ warehouseId, qty }));

/**
 * Moves units out of a hold and/or into it, all or nothing. Units taken are free again before any
 * part is added, so one plan can move a hold's units between warehouses of the same SKU. Taken and
 * added are summed per warehouse, in the order they first appear.
 */
export function reallocate(req: ReallocationRequest): ReallocationPlan {
  const heldAt = sumByWarehouse(req.held);
  const takes = sumByWarehouse(req.take);
  for (const [warehouseId, qty] of takes) {
    const held = heldAt.get(warehouseId) ?? 0;
    if (held < qty) return { ok: false, code: "NOT_HELD", warehouseId, held, requested: qty };
  }
  const available = availabilityOf(req.levels);
  for (const [warehouseId, qty] of takes) available.set(warehouseId, (available.get(warehouseId) ?? 0) + qty);
  const added = new Map<string, number>();
  for (const part of req.add) {
    const plan = place(part.qty, rankedFrom(part.warehouses, available));
    if (!plan.ok) return plan;
    for (const a of plan.allocations) {
      available.set(a.warehouseId, (available.get(a.warehouseId) ?? 0) - a.qty);
      added.set(a.warehouseId, (added.get(a.warehouseId) ?? 0) + a.qty);
    }
  }
  return { ok: true, taken: listOf(takes), added: listOf(added) };
}

/** What a shopper may be told is for sale: the available units of the warehouses not closed. */
export function sellableUnits(levels: readonly Level[], closed: ReadonlySet<string>): number {
  return levels.reduce((sum, l) => (closed.has(l.warehouseId) ? sum : sum + l.available), 0);
}
