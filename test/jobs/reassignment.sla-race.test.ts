import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cancelSubOrder } from "../../src/cancellation/sub-order-cancellation";
import { SLA_BREACH_REASON } from "../../src/contracts/order-status";
import { systemActor } from "../../src/domain/principal";
import { isoSeconds } from "../../src/domain/time";
import { reassignSubOrder } from "../../src/reassignment/reassign";
import { followUpStockMoves } from "../../src/reassignment/stock-follow-up";
import { holdsOf, paidReassignableOrder } from "../http/routing.fixtures";
import { uid } from "../support/api";
import { afterFirstRelease, type Call, d1Statements, lost, stockCalls } from "../support/bindings";
import { expectStockEquation, stockOf } from "../support/marketplace";

const ON_HAND = 10;

/** A paid order of 2 units of A from its near warehouse, its dispatch deadline passed ten minutes ago. */
async function breachedOrder() {
  const paid = await paidReassignableOrder(ON_HAND, 2);
  await env.DB.prepare("update sub_orders set sla_dispatch_by = ? where id = ?")
    .bind(isoSeconds(Date.now() - 10 * 60_000), paid.sub.id)
    .run();
  const [near, far] = paid.a.warehouseIds as [string, string];
  return { ...paid, near, far };
}
type Breached = Awaited<ReturnType<typeof breachedOrder>>;

const moveInput = (o: Breached) => ({
  subOrderId: o.sub.id,
  target: { warehouseId: o.far },
  reason: "the near warehouse is flooded",
  key: uid("ra-"),
  actor: { role: "ops" as const, id: uid("tok_") },
  now: new Date(),
});

/** Ops' move of the whole sub-order to A's far warehouse, through `bindings`. */
async function moveToFar(o: Breached, bindings: Env = env) {
  expect(await reassignSubOrder(bindings, undefined, moveInput(o))).toMatchObject({ ok: true });
}

/** The SLA watcher's cancel of the sub-order, with ops' move run right after its release of A's units. */
async function watcherCancelWithMoveAfterRelease(o: Breached, move: () => Promise<void>) {
  let moved = false;
  const moveAfterRelease = afterFirstRelease(async () => {
    moved = true;
    await move();
  }, o.a.skuId);
  const outcome = await cancelSubOrder(moveAfterRelease, undefined, {
    subOrderId: o.sub.id,
    reason: SLA_BREACH_REASON,
    actor: systemActor("sla-watcher"),
    now: new Date(),
    slaBreach: true,
  });
  expect(moved).toBe(true);
  // The move gave the sub-order a new deadline: the breach's cancel does not land.
  expect(outcome).toMatchObject({ ok: true, changed: false });
}

/** The sub-order still open, its line at the far warehouse, and its 2 units committed there and nowhere else. */
async function expectCommittedAtFar(o: Breached) {
  const sub = await env.DB.prepare("select status from sub_orders where id = ?")
    .bind(o.sub.id)
    .first<{ status: string }>();
  expect(sub!.status).toBe("paid");
  const lines = await env.DB.prepare("select warehouse_id as w, qty from line_items where sub_order_id = ?")
    .bind(o.sub.id)
    .all<{ w: string; qty: number }>();
  expect(lines.results).toEqual([{ w: o.far, qty: 2 }]);
  const holds = (await holdsOf(o.a.skuId, o.orderId)).filter((h) => h.status !== "released");
  expect(holds.map((h) => ({ warehouseId: h.warehouseId, qty: h.qty, status: h.status }))).toEqual([
    { warehouseId: o.far, qty: 2, status: "committed" },
  ]);
  const levels = new Map((await stockOf(o.a.skuId)).warehouses.map((w) => [w.warehouseId, w]));
  expect(levels.get(o.near)).toMatchObject({ available: ON_HAND, held: 0, committed: 0 });
  expect(levels.get(o.far)).toMatchObject({ available: ON_HAND - 2, held: 0, committed: 2 });
  await expectStockEquation(o.a.skuId);
}

describe("ops moving a breached sub-order to another warehouse of its vendor while the SLA watcher cancels it", () => {
  it("after the watcher's release: the units end committed where the line now says, none left in the old warehouse", async () => {
    const o = await breachedOrder();
    await watcherCancelWithMoveAfterRelease(o, () => moveToFar(o));
    await expectCommittedAtFar(o);
  });

  it("with the watcher's units held again between the move's two calls: the units held again are taken back", async () => {
    const o = await breachedOrder();
    const { holdId } = (await env.DB.prepare("select hold_id as holdId from orders where id = ?")
      .bind(o.orderId)
      .first<{ holdId: string }>())!;
    const stock = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(o.a.skuId));
    let heldAgain = false;
    // Right after the move's take is refused, the near units are held again and committed, as the
    // watcher's hold again does once its cancel has not landed.
    const holdAgainAfterRefusal = stockCalls({
      reallocate:
        (reallocate, skuId): Call =>
        async (...args) => {
          const r = (await reallocate(...args)) as { ok: boolean };
          if (skuId === o.a.skuId && !r.ok && !heldAgain) {
            heldAgain = true;
            const again = await stock.reserve({
              skuId,
              holdId,
              qty: 2,
              warehouses: [o.near],
              expiresAt: Date.now() + 15 * 60_000,
              reopen: true,
            });
            expect(again.ok).toBe(true);
            expect((await stock.commit(holdId)).ok).toBe(true);
          }
          return r;
        },
    });
    await watcherCancelWithMoveAfterRelease(o, () => moveToFar(o, holdAgainAfterRefusal));
    expect(heldAgain).toBe(true);
    await expectCommittedAtFar(o);
  });

  it("repeated by the job after its stock moved but before that was recorded: nothing moves twice", async () => {
    const o = await breachedOrder();
    // The move's units reach the far warehouse, then D1 is lost before `stock_move` is cleared.
    const doneLost = d1Statements((call, sql) => (/update "reassignments" set "stock_move"/i.test(sql) ? lost : call));
    await watcherCancelWithMoveAfterRelease(o, async () => {
      await expect(reassignSubOrder(doneLost, undefined, moveInput(o))).rejects.toThrow('update "reassignments"');
    });
    expect((await followUpStockMoves(env, new Date(Date.now() + 2 * 60_000))).moved).toBeGreaterThanOrEqual(1);
    await expectCommittedAtFar(o);
  });
});
