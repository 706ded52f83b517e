import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type ReassignInput, reassignSubOrder } from "../../src/reassignment/reassign";
import { uid } from "../support/api";
import { d1Statements } from "../support/bindings";
import { expectStockEquation, stockOf } from "../support/marketplace";
import { holdsOf, paidReassignableOrder } from "./routing.fixtures";

/**
 * Once a move's batch has landed, the move stands: re-deriving the order's status afterwards is
 * best effort, and its failure neither gives back the units set aside for the move nor answers a
 * move that happened with an error.
 */

const ON_HAND = 10;

describe("a reassignment whose order-status refresh fails after it landed", () => {
  it("still answers the move, keeps the target's units for the order, and leaves the status as the batch wrote it", async () => {
    const { a, orderId, sub } = await paidReassignableOrder(ON_HAND, 2);
    const [near, far] = a.warehouseIds as [string, string];

    // The refresh reads the order's sub-orders' statuses; that read fails once.
    let failed = 0;
    const flaky = d1Statements((call, sql) =>
      sql.startsWith('select "id", "status", "cancellation_reason" from "sub_orders"') && failed === 0
        ? async () => {
            failed++;
            throw new Error("D1_ERROR: Network connection lost.");
          }
        : call,
    );
    const input: ReassignInput = {
      subOrderId: sub.id,
      target: { warehouseId: far },
      reason: "near warehouse flooded",
      key: uid("ra-"),
      actor: { role: "ops", id: null },
      now: new Date(),
    };
    const outcome = await reassignSubOrder(flaky, undefined, input);
    expect(failed).toBe(1);
    expect(outcome).toEqual({ ok: true, orderId });

    const status = await env.DB.prepare("select status from orders where id = ?")
      .bind(orderId)
      .first<{ status: string }>();
    expect(status!.status).toBe("paid");
    const lines = await env.DB.prepare("select warehouse_id as w, qty from line_items where sub_order_id = ?")
      .bind(sub.id)
      .all();
    expect(lines.results).toEqual([{ w: far, qty: 2 }]);
    const moved = await env.DB.prepare(
      "select count(*) as n, max(stock_move) as pending from reassignments where order_id = ?",
    )
      .bind(orderId)
      .first<{ n: number; pending: unknown }>();
    expect(moved).toEqual({ n: 1, pending: null });

    // The far warehouse's two units are the order's, committed; the near one has its units back.
    const snap = await expectStockEquation(a.skuId);
    const at = (w: string) => snap.warehouses.find((x) => x.warehouseId === w)!;
    expect({ held: at(far).held, committed: at(far).committed, available: at(far).available }).toEqual({
      held: 0,
      committed: 2,
      available: ON_HAND - 2,
    });
    expect({ committed: at(near).committed, available: at(near).available }).toEqual({
      committed: 0,
      available: ON_HAND,
    });
    expect((await stockOf(a.skuId)).totals).toMatchObject({ held: 0, committed: 2 });
    expect((await holdsOf(a.skuId, orderId)).map((h) => [h.warehouseId, h.qty, h.status])).toEqual([
      [far, 2, "committed"],
    ]);
  });
});
