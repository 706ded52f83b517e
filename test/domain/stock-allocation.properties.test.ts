import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Allocation, allocate, type Level, reallocate } from "../../src/domain/stock-allocation";

const WAREHOUSES = ["wh_a", "wh_b", "wh_c", "wh_d", "wh_e", "wh_f"];

/** A SKU's levels: some of the warehouses known to it, each with 0-20 units free. */
const levelsArb: fc.Arbitrary<Level[]> = fc
  .uniqueArray(fc.constantFrom(...WAREHOUSES), { maxLength: WAREHOUSES.length })
  .chain((ids) =>
    fc.tuple(...ids.map((warehouseId) => fc.record({ warehouseId: fc.constant(warehouseId), available: fc.nat(20) }))),
  )
  .map((levels) => [...levels]);

/** A ranking may name a warehouse twice, or one with no stock row at all. */
const rankingArb = fc.array(fc.constantFrom(...WAREHOUSES), { maxLength: 8 });
const qtyArb = fc.integer({ min: 1, max: 70 });

const availableIn = (levels: readonly Level[], warehouseId: string) =>
  levels.find((l) => l.warehouseId === warehouseId)?.available ?? 0;
const sum = (parts: readonly { qty: number }[]) => parts.reduce((s, p) => s + p.qty, 0);
const reachable = (ranking: readonly string[], levels: readonly Level[]) =>
  [...new Set(ranking)].reduce((s, w) => s + availableIn(levels, w), 0);

describe("allocate: units across ranked warehouses", () => {
  it("never takes more than a warehouse has, and only from ranked warehouses, each once", () => {
    fc.assert(
      fc.property(qtyArb, rankingArb, levelsArb, (qty, ranking, levels) => {
        const plan = allocate(qty, ranking, levels);
        if (!plan.ok) return;
        const ids = plan.allocations.map((a) => a.warehouseId);
        expect(new Set(ids).size).toBe(ids.length);
        for (const a of plan.allocations) {
          expect(ranking).toContain(a.warehouseId);
          expect(a.qty).toBeGreaterThan(0);
          expect(a.qty).toBeLessThanOrEqual(availableIn(levels, a.warehouseId));
        }
      }),
    );
  });

  it("is all or nothing: allocates the whole request exactly when the ranked warehouses hold enough", () => {
    fc.assert(
      fc.property(qtyArb, rankingArb, levelsArb, (qty, ranking, levels) => {
        const plan = allocate(qty, ranking, levels);
        const enough = reachable(ranking, levels) >= qty;
        expect(plan.ok).toBe(enough);
        if (plan.ok) expect(sum(plan.allocations)).toBe(qty);
        else
          expect(plan).toEqual({
            ok: false,
            code: "OUT_OF_STOCK",
            requested: qty,
            available: reachable(ranking, levels),
          });
      }),
    );
  });

  it("respects the ranking: the best warehouse that covers it all, else a greedy split in ranked order", () => {
    fc.assert(
      fc.property(qtyArb, rankingArb, levelsArb, (qty, ranking, levels) => {
        const plan = allocate(qty, ranking, levels);
        if (!plan.ok) return;
        const ranked = [...new Set(ranking)];
        const whole = ranked.find((w) => availableIn(levels, w) >= qty);
        if (whole) {
          expect(plan.allocations).toEqual([{ warehouseId: whole, qty }]);
          return;
        }
        const ranks = plan.allocations.map((a) => ranked.indexOf(a.warehouseId));
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
        // Every warehouse ranked before the last one used gave all it had.
        const last = ranks[ranks.length - 1]!;
        for (const w of ranked.slice(0, last)) {
          const given = plan.allocations.find((a) => a.warehouseId === w)?.qty ?? 0;
          expect(given).toBe(availableIn(levels, w));
        }
      }),
    );
  });

  it("is deterministic: the same input gives the same plan", () => {
    fc.assert(
      fc.property(qtyArb, rankingArb, levelsArb, (qty, ranking, levels) => {
        expect(allocate(qty, [...ranking], structuredClone(levels))).toEqual(allocate(qty, ranking, levels));
      }),
    );
  });
});

/** A hold and the free stock around it, with a request to move some of its units. */
const reallocationArb = levelsArb.chain((levels) => {
  const known = levels.map((l) => l.warehouseId);
  const held = fc
    .uniqueArray(fc.constantFrom(...WAREHOUSES), { maxLength: 3 })
    .chain((ids) =>
      fc.tuple(
        ...ids.map((warehouseId) =>
          fc.record({ warehouseId: fc.constant(warehouseId), qty: fc.integer({ min: 1, max: 10 }) }),
        ),
      ),
    );
  return fc.record({
    levels: fc.constant(levels),
    held: held.map((h) => [...h]),
    take: fc.array(fc.record({ warehouseId: fc.constantFrom(...WAREHOUSES), qty: fc.integer({ min: 1, max: 8 }) }), {
      maxLength: 3,
    }),
    add: fc.array(
      fc.record({
        qty: fc.integer({ min: 1, max: 25 }),
        warehouses: fc.array(fc.constantFrom(...(known.length > 0 ? known : WAREHOUSES)), { maxLength: 4 }),
      }),
      { maxLength: 3 },
    ),
  });
});

const byWarehouse = (parts: readonly Allocation[]) => {
  const out = new Map<string, number>();
  for (const p of parts) out.set(p.warehouseId, (out.get(p.warehouseId) ?? 0) + p.qty);
  return out;
};

describe("reallocate: moving a hold's units", () => {
  it("conserves units: what leaves the hold is free again, what joins it comes out of free stock", () => {
    fc.assert(
      fc.property(reallocationArb, (req) => {
        const plan = reallocate(req);
        if (!plan.ok) return;
        expect(sum(plan.taken)).toBe(sum(req.take));
        expect(sum(plan.added)).toBe(sum(req.add));
        const heldBefore = byWarehouse(req.held);
        const taken = byWarehouse(plan.taken);
        const added = byWarehouse(plan.added);
        let holdAfter = 0;
        for (const w of WAREHOUSES) {
          const heldAfter = (heldBefore.get(w) ?? 0) - (taken.get(w) ?? 0) + (added.get(w) ?? 0);
          const freeAfter = availableIn(req.levels, w) + (taken.get(w) ?? 0) - (added.get(w) ?? 0);
          expect(heldAfter).toBeGreaterThanOrEqual(0);
          expect(freeAfter).toBeGreaterThanOrEqual(0);
          // Held plus free in each warehouse is what it was: no unit made or lost.
          expect(heldAfter + freeAfter).toBe((heldBefore.get(w) ?? 0) + availableIn(req.levels, w));
          holdAfter += heldAfter;
        }
        expect(holdAfter).toBe(sum(req.held) - sum(req.take) + sum(req.add));
      }),
    );
  });

  it("refuses a take beyond what the hold has there, naming that warehouse", () => {
    fc.assert(
      fc.property(reallocationArb, (req) => {
        const plan = reallocate(req);
        const heldBefore = byWarehouse(req.held);
        const over = [...byWarehouse(req.take)].find(([w, qty]) => qty > (heldBefore.get(w) ?? 0));
        if (over) {
          expect(plan).toEqual({
            ok: false,
            code: "NOT_HELD",
            warehouseId: over[0],
            held: heldBefore.get(over[0]) ?? 0,
            requested: over[1],
          });
        } else {
          expect(plan.ok || plan.code === "OUT_OF_STOCK").toBe(true);
        }
      }),
    );
  });

  it("adds each part as allocate would, from stock freed by the takes", () => {
    fc.assert(
      fc.property(reallocationArb, (req) => {
        const plan = reallocate(req);
        if (!plan.ok || req.add.length !== 1) return;
        const freed = new Map(req.levels.map((l) => [l.warehouseId, l.available]));
        for (const t of req.take) freed.set(t.warehouseId, (freed.get(t.warehouseId) ?? 0) + t.qty);
        const levels = [...freed].map(([warehouseId, available]) => ({ warehouseId, available }));
        const single = allocate(req.add[0]!.qty, req.add[0]!.warehouses, levels);
        expect(single).toEqual({ ok: true, allocations: plan.added });
      }),
    );
  });

  it("is deterministic: the same input gives the same plan", () => {
    fc.assert(
      fc.property(reallocationArb, (req) => {
        expect(reallocate(structuredClone(req))).toEqual(reallocate(req));
      }),
    );
  });
});
