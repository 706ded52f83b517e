import type { Allocation, Candidate, Exclusion, LineDecision, RoutePlan } from "./types";
import { type FactorScores, factorNames, type RoutingWeights } from "./weights";

export type ExplainedCandidate = {
  vendorId: string;
  warehouseId: string;
  skuId: string;
  scores: FactorScores;
  total: number;
  available: number | null;
  distanceKm: number;
  shippingMinor: number;
  windowHours: number;
  excluded?: Exclusion;
};

export type ExplainedLine = {
  lineIndex: number;
  skuId?: string;
  productId?: string;
  qty: number;
  chosen: Allocation[];
  /** Present only when the stock objects reserved something other than the plan (a race). */
  planned?: Allocation[];
  candidates: ExplainedCandidate[];
  /** Candidates considered but not listed, to keep the record small. */
  omitted: number;
  reason: string;
};

/** What `routing_decisions.explanation` holds for one order. */
export type RoutingExplanation = {
  weightsVersion: number;
  weights: FactorScores;
  windowHours: number;
  lines: ExplainedLine[];
};

const LISTED = 8;
const LISTED_EXCLUDED = 3;

const label = (c: { vendorId: string; warehouseId: string }) => `${c.warehouseId} of ${c.vendorId}`;
const sameSite = (a: { skuId: string; warehouseId: string }, b: { skuId: string; warehouseId: string }) =>
  a.skuId === b.skuId && a.warehouseId === b.warehouseId;

function describeLead(win: Candidate, other: Candidate, weights: RoutingWeights): string {
  const phrases: Record<(typeof factorNames)[number], () => string> = {
    distance: () => `nearer (${win.distanceKm} km vs ${other.distanceKm} km)`,
    delivery: () => `earlier promise (${win.windowHours} h vs ${other.windowHours} h)`,
    speed: () => `dispatches faster (speed ${win.scores.speed} vs ${other.scores.speed})`,
    reliability: () => `more reliable (${win.scores.reliability} vs ${other.scores.reliability})`,
    cost: () => `cheaper (cost ${win.scores.cost} vs ${other.scores.cost})`,
  };
  const leads = factorNames
    .map((f) => ({ f, d: weights[f] * (win.scores[f] - other.scores[f]) }))
    .filter((x) => x.d > 0.0005)
    .sort((a, b) => b.d - a.d)
    .slice(0, 2)
    .map((x) => phrases[x.f]());
  return leads.length > 0 ? leads.join(", ") : "tied on score, taken by distance then id";
}

function reasonFor(
  d: LineDecision,
  weights: RoutingWeights,
  windowHours: number,
  chosen: readonly Allocation[],
): string {
  const skipped = [...new Set(d.candidates.filter((c) => c.excluded === "vendor_at_capacity").map((c) => c.vendorId))];
  const skipNote = skipped.length > 0 ? ` Skipped at their hourly capacity: ${skipped.join(", ")}.` : "";
  if (d.how === "split") {
    const parts = d.allocations.map((a) => `${a.qty} from ${label(a)}`).join(", ");
    return `No single eligible warehouse holds all ${d.qty}; split in preference order: ${parts}.${skipNote}`;
  }
  const a = d.allocations[0]!;
  const win = d.candidates.find((c) => sameSite(c, a))!;
  if (d.how === "grouped" && d.preferred) {
    return (
      `Shares one parcel from ${label(win)} with line${d.sharedWith && d.sharedWith.length > 1 ? "s" : ""} ` +
      `${(d.sharedWith ?? []).join(", ")}: its score ${win.total} is within ${weights.groupTolerance} of this ` +
      `line's best, ${label(d.preferred)} (${d.preferred.total}), and the cart's promise stays ${windowHours} h.${skipNote}`
    );
  }
  const higher = d.candidates.filter(
    (c) => c.excluded === null && c.total > win.total && c.available !== null && c.available < d.qty,
  );
  const shortNote =
    higher.length > 0 ? ` ${label(higher[0]!)} scores higher but holds only ${higher[0]!.available} of ${d.qty}.` : "";
  const runnerUp = d.candidates.find((c) => c.excluded === null && !sameSite(c, win));
  // With stock unread the plan names no warehouse: the stock object took its first in this order that
  // held the whole line, or, when none did, split it in this order (what `chosen` records).
  const taken = chosen.map((a) => `${a.qty} from ${label(a)}`).join(", ");
  const head =
    d.how !== "unknown_stock"
      ? ""
      : chosen.length === 1
        ? `Ranked by score; the SKU's stock object took the first warehouse in this order that held all ${d.qty}: ${label(chosen[0]!)}. `
        : `Ranked by score; no single warehouse had ${d.qty} units, so the SKU's stock object split the line in this order: ${taken}. `;
  const shared = d.sharedWith ? ` Ships in one parcel with line ${d.sharedWith.join(", ")}.` : "";
  if (!runnerUp) return `${head}${label(win)} is the only eligible candidate.${shared}${skipNote}`;
  return (
    `${head}${label(win)} scored ${win.total} against ${runnerUp.total} for ${label(runnerUp)}: ` +
    `${describeLead(win, runnerUp, weights)}.${shortNote}${shared}${skipNote}`
  );
}

function listed(d: LineDecision, chosen: readonly Allocation[]): { list: Candidate[]; omitted: number } {
  const eligible = d.candidates.filter((c) => c.excluded === null);
  const list = eligible.slice(0, LISTED);
  for (const a of [...d.allocations, ...chosen]) {
    const c = d.candidates.find((x) => sameSite(x, a));
    if (c && !list.includes(c)) list.push(c);
  }
  const atCapacity = d.candidates.filter((c) => c.excluded === "vendor_at_capacity").slice(0, LISTED_EXCLUDED);
  for (const c of atCapacity) if (!list.includes(c)) list.push(c);
  return { list, omitted: d.candidates.length - list.length };
}

const sortAllocations = (xs: readonly Allocation[]) =>
  [...xs].sort((a, b) => (a.skuId + a.warehouseId < b.skuId + b.warehouseId ? -1 : 1));
const sameAllocations = (a: readonly Allocation[], b: readonly Allocation[]) =>
  JSON.stringify(sortAllocations(a)) === JSON.stringify(sortAllocations(b));

/**
 * The record of a decision: per line, the candidates with their factor scores and why the winner
 * won. `actual` is what the stock objects reserved; when it differs from the plan both are kept.
 */
export function explain(
  plan: Extract<RoutePlan, { ok: true }>,
  weights: RoutingWeights,
  actual?: ReadonlyMap<number, Allocation[]>,
): RoutingExplanation {
  return {
    weightsVersion: plan.weightsVersion,
    weights: Object.fromEntries(factorNames.map((f) => [f, weights[f]])) as FactorScores,
    windowHours: plan.windowHours,
    lines: plan.lines.map((d): ExplainedLine => {
      const got = actual?.get(d.lineIndex) ?? d.allocations;
      const differs = !sameAllocations(got, d.allocations);
      const { list, omitted } = listed(d, got);
      let reason = reasonFor(d, weights, plan.windowHours, got);
      if (differs && d.how !== "unknown_stock") {
        reason +=
          ` Reserved differently from the plan (stock moved in between): ` +
          got.map((a) => `${a.qty} from ${label(a)}`).join(", ") +
          ".";
      }
      return {
        lineIndex: d.lineIndex,
        ...(d.skuId !== undefined ? { skuId: d.skuId } : { productId: d.productId }),
        qty: d.qty,
        chosen: got,
        ...(differs && d.how !== "unknown_stock" ? { planned: d.allocations } : {}),
        candidates: list.map((c) => ({
          vendorId: c.vendorId,
          warehouseId: c.warehouseId,
          skuId: c.skuId,
          scores: c.scores,
          total: c.total,
          available: c.available,
          distanceKm: c.distanceKm,
          shippingMinor: c.shippingMinor,
          windowHours: c.windowHours,
          ...(c.excluded ? { excluded: c.excluded } : {}),
        })),
        omitted,
        reason,
      };
    }),
  };
}
