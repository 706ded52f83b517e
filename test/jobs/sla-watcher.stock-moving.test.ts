import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { isoSeconds } from "../../src/domain/time";
import { watchSlas } from "../../src/jobs/sla-watcher";
import { reassignSubOrder } from "../../src/reassignment/reassign";
import { followUpStockMoves } from "../../src/reassignment/stock-follow-up";
import { paidReassignableOrder } from "../http/routing.fixtures";
import { uid } from "../support/api";
import { type Call, lost, stockCalls } from "../support/bindings";
import { expectStockEquation } from "../support/marketplace";

type Paid = Awaited<ReturnType<typeof paidReassignableOrder>>;

const minutesLater = (m: number) => new Date(Date.now() + m * 60_000);

/**
 * Ops' move of one of the sub-order's two units of A to B's offer while A's stock object cannot be
 * reached for the hold's move: the D1 claim lands (B's new sub-order, `stock_move` set), the order's
 * hold does not follow, and the request fails.
 */
async function moveCutShort(paid: Paid) {
  await expect(
    reassignSubOrder(stockCalls({ reallocate: () => lost }), undefined, {
      subOrderId: paid.sub.id,
      lines: [{ lineId: paid.sub.lines[0].id, qty: 1 }],
      target: { skuId: paid.b.skuId },
      reason: "vendor A is one unit short",
      key: uid("ra-"),
      actor: { role: "ops", id: uid("tok_") },
      now: new Date(),
    }),
  ).rejects.toThrow("Network connection lost.");
  expect(await stockMoving(paid.orderId)).toBe(true);
}

async function stockMoving(orderId: string) {
  const row = await env.DB.prepare(
    "select count(*) as n from reassignments where order_id = ? and stock_move is not null",
  )
    .bind(orderId)
    .first<{ n: number }>();
  return row!.n > 0;
}

/** Every open sub-order of the order a minute past its dispatch deadline. */
const pastDeadline = (orderId: string) =>
  env.DB.prepare(
    "update sub_orders set sla_dispatch_by = ? where order_id = ? and status in ('paid','confirmed','packed')",
  )
    .bind(isoSeconds(Date.now() - 60_000), orderId)
    .run();

/** The order's sub-orders by vendor: status and cancellation reason. */
async function subOrdersOf(paid: Paid) {
  const rows = await env.DB.prepare(
    "select vendor_id as vendorId, status, cancellation_reason as reason from sub_orders where order_id = ?",
  )
    .bind(paid.orderId)
    .all<{ vendorId: string; status: string; reason: string | null }>();
  const of = (vendorId: string) => rows.results.find((r) => r.vendorId === vendorId);
  return { a: of(paid.a.vendorId), b: of(paid.b.vendorId) };
}

/** Nothing of the order cancelled, refunded or recorded as a breach. */
async function expectUntouched(paid: Paid) {
  expect(await subOrdersOf(paid)).toEqual({
    a: { vendorId: paid.a.vendorId, status: "paid", reason: null },
    b: { vendorId: paid.b.vendorId, status: "paid", reason: null },
  });
  const count = async (sql: string) => (await env.DB.prepare(sql).bind(paid.orderId).first<{ n: number }>())!.n;
  expect(
    await count("select count(*) as n from order_events where order_id = ? and type = 'sub_order.cancelled'"),
  ).toBe(0);
  expect(await count("select count(*) as n from pending_refunds where order_id = ?")).toBe(0);
}

describe("the SLA watcher and the sub-orders of a reassignment whose stock has not followed", () => {
  it("cancels neither while pack and dispatch refuse them, and both once the stock has followed", async () => {
    const paid = await paidReassignableOrder(10, 2);
    await moveCutShort(paid);
    await pastDeadline(paid.orderId);

    await watchSlas(env, new Date());
    // The move's request stopped: for a minute nothing repeats it, then the job may take up to an hour.
    await watchSlas(env, minutesLater(1));
    await expectUntouched(paid);

    expect((await followUpStockMoves(env, minutesLater(2))).moved).toBeGreaterThanOrEqual(1);
    expect(await stockMoving(paid.orderId)).toBe(false);
    await watchSlas(env, minutesLater(2));
    const after = await subOrdersOf(paid);
    expect([after.a?.status, after.a?.reason, after.b?.status, after.b?.reason]).toEqual([
      "cancelled",
      "sla_breach_auto",
      "cancelled",
      "sla_breach_auto",
    ]);
    await expectStockEquation(paid.a.skuId);
    await expectStockEquation(paid.b.skuId);
  });

  it("does not cancel a breach whose sub-order a move claims while the watcher releases its stock", async () => {
    const paid = await paidReassignableOrder(10, 2);
    await pastDeadline(paid.orderId);
    let moved = false;
    // Right after the watcher's release of A's units, ops' move of one of them to B lands in D1.
    const moveAfterRelease = stockCalls({
      release:
        (release, skuId): Call =>
        async (...args) => {
          const r = await release(...args);
          if (skuId === paid.a.skuId && !moved) {
            moved = true;
            await moveCutShort(paid);
          }
          return r;
        },
    });
    await watchSlas(moveAfterRelease, new Date());
    expect(moved).toBe(true);
    await expectUntouched(paid);

    expect((await followUpStockMoves(env, minutesLater(2))).moved).toBeGreaterThanOrEqual(1);
    await expectStockEquation(paid.a.skuId);
    await expectStockEquation(paid.b.skuId);
  });
});
