import { covers, indexRequest, lineCandidates, offersOf } from "./candidates";
import type { Allocation, Candidate, LineDecision, Reservation, RoutePlan, RoutingRequest, Shortage } from "./types";

const siteKey = (c: { vendorId: string; warehouseId: string }) => `${c.vendorId}\u0000${c.warehouseId}`;
const allocationOf = (c: Candidate, qty: number): Allocation => ({
  skuId: c.skuId,
  vendorId: c.vendorId,
  warehouseId: c.warehouseId,
  qty,
});

/**
 * Routes a whole cart. Deterministic: the same request always gives the same plan.
 *
 * 1. Each line ranks its candidates (see `lineCandidates`) and takes the first that can cover it
 *    alone; only when none can is the line split, greedily in that order.
 * 2. The cart's promise is its slowest line's window (dispatch SLA + transit). Lines then gather
 *    into as few parcels as sensible: a line moves to a warehouse that also serves other lines
 *    when that keeps the cart's promise, stays inside the cost bound and costs it at most
 *    `groupTolerance` of score. Sites serving the most lines are taken first (greedy set cover).
 * 3. Each SKU's reservation ranks the planned warehouses first and then its other candidates, so
 *    the stock object (which has the final word) falls back in the same order if stock moved.
 */
export function planRoute(req: RoutingRequest): RoutePlan {
  const index = indexRequest(req);
  const lines = [...req.lines].sort((a, b) => a.lineIndex - b.lineIndex);
  const owner = new Map<string, number>();
  for (const line of lines) {
    for (const o of offersOf(index, line)) {
      const other = owner.get(o.skuId);
      if (other !== undefined) throw new Error(`lines ${other} and ${line.lineIndex} can both use ${o.skuId}`);
      owner.set(o.skuId, line.lineIndex);
    }
  }

  const decisions: LineDecision[] = [];
  const shortages: Shortage[] = [];
  const first = new Map<number, Candidate>();
  for (const line of lines) {
    const candidates = lineCandidates(req, index, line);
    const base = {
      lineIndex: line.lineIndex,
      qty: line.qty,
      ...(line.skuId !== undefined ? { skuId: line.skuId } : { productId: line.productId }),
      candidates,
    };
    const best = candidates.find((c) => covers(c, line.qty));
    if (best) {
      first.set(line.lineIndex, best);
      decisions.push({
        ...base,
        allocations: [allocationOf(best, line.qty)],
        how: best.available === null ? "unknown_stock" : "best",
      });
      continue;
    }
    const parts: Allocation[] = [];
    let left = line.qty;
    for (const c of candidates) {
      if (left === 0) break;
      if (c.excluded !== null || !c.available) continue;
      const take = Math.min(left, c.available);
      parts.push(allocationOf(c, take));
      left -= take;
    }
    if (left > 0) {
      shortages.push({
        lineIndex: line.lineIndex,
        ...(line.skuId !== undefined ? { skuId: line.skuId } : { productId: line.productId! }),
        requested: line.qty,
        available: line.qty - left,
      });
    }
    decisions.push({ ...base, allocations: parts, how: "split" });
  }
  if (shortages.length > 0) return { ok: false, shortages, lines: decisions };

  const candidateAt = (d: LineDecision, a: Allocation) =>
    d.candidates.find((c) => c.skuId === a.skuId && c.warehouseId === a.warehouseId)!;
  const windowOf = (d: LineDecision) => Math.max(...d.allocations.map((a) => candidateAt(d, a).windowHours));
  const cartWindow = Math.max(...decisions.map(windowOf));

  group(decisions, first, cartWindow, req.weights.groupTolerance);
  for (const d of decisions) {
    const mine = new Set(d.allocations.map(siteKey));
    const others = decisions
      .filter((o) => o.lineIndex !== d.lineIndex && o.allocations.some((a) => mine.has(siteKey(a))))
      .map((o) => o.lineIndex);
    if (others.length > 0) d.sharedWith = others;
  }

  return {
    ok: true,
    weightsVersion: req.weightsVersion,
    lines: decisions,
    reservations: decisions.flatMap(reservationsOf),
    windowHours: Math.max(...decisions.map(windowOf)),
  };
}

/** Step 2 of planRoute: moves whole lines onto shared sites, in place. */
function group(
  decisions: LineDecision[],
  first: ReadonlyMap<number, Candidate>,
  cartWindow: number,
  tolerance: number,
): void {
  const byLine = new Map(decisions.map((d) => [d.lineIndex, d]));
  const chosen = new Set<string>();
  for (const d of decisions) if (d.how === "split") for (const a of d.allocations) chosen.add(siteKey(a));

  const acceptable = new Map<number, Candidate[]>();
  for (const [lineIndex, best] of first) {
    const d = byLine.get(lineIndex)!;
    acceptable.set(
      lineIndex,
      d.candidates.filter(
        (c) =>
          covers(c, d.qty) &&
          c.windowHours <= cartWindow &&
          c.total >= best.total - tolerance &&
          (c.withinCostBound || !best.withinCostBound),
      ),
    );
  }
  const assign = (lineIndex: number, c: Candidate) => {
    const d = byLine.get(lineIndex)!;
    const best = first.get(lineIndex)!;
    d.allocations = [allocationOf(c, d.qty)];
    if (c !== best) {
      d.how = "grouped";
      d.preferred = best;
    }
    chosen.add(siteKey(c));
  };

  const remaining = [...first.keys()].sort((a, b) => a - b);
  while (remaining.length > 0) {
    // A parcel already going out takes every line it acceptably can.
    for (const lineIndex of [...remaining]) {
      const join = acceptable.get(lineIndex)!.find((c) => chosen.has(siteKey(c)));
      if (join) {
        assign(lineIndex, join);
        remaining.splice(remaining.indexOf(lineIndex), 1);
      }
    }
    if (remaining.length === 0) break;

    const tally = new Map<string, { lines: number[]; candidates: Candidate[]; sum: number }>();
    for (const lineIndex of remaining) {
      const seen = new Set<string>();
      for (const c of acceptable.get(lineIndex)!) {
        const key = siteKey(c);
        if (seen.has(key)) continue;
        seen.add(key);
        const t = tally.get(key) ?? { lines: [], candidates: [], sum: 0 };
        t.lines.push(lineIndex);
        t.candidates.push(c);
        t.sum += c.total;
        tally.set(key, t);
      }
    }
    let pick: { key: string; lines: number[]; candidates: Candidate[]; sum: number } | undefined;
    for (const [key, t] of tally) {
      if (
        !pick ||
        t.lines.length > pick.lines.length ||
        (t.lines.length === pick.lines.length && (t.sum > pick.sum || (t.sum === pick.sum && key < pick.key)))
      ) {
        pick = { key, ...t };
      }
    }
    const shared = pick && pick.lines.length >= 2 ? pick : undefined;
    if (shared) {
      shared.lines.forEach((lineIndex, i) => {
        assign(lineIndex, shared.candidates[i]!);
        remaining.splice(remaining.indexOf(lineIndex), 1);
      });
    } else {
      // Nothing is shared any more: the lowest line takes its own best, and the loop lets others join it.
      const lineIndex = remaining.shift()!;
      assign(lineIndex, first.get(lineIndex)!);
    }
  }
}

function reservationsOf(d: LineDecision): Reservation[] {
  const bySku = new Map<string, Reservation>();
  for (const a of d.allocations) {
    const r = bySku.get(a.skuId) ?? { skuId: a.skuId, lineIndex: d.lineIndex, qty: 0, warehouses: [] };
    r.qty += a.qty;
    if (!r.warehouses.includes(a.warehouseId)) r.warehouses.push(a.warehouseId);
    bySku.set(a.skuId, r);
  }
  for (const r of bySku.values()) {
    for (const c of d.candidates) {
      if (c.skuId === r.skuId && c.excluded === null && !r.warehouses.includes(c.warehouseId)) {
        r.warehouses.push(c.warehouseId);
      }
    }
  }
  return [...bySku.values()];
}
