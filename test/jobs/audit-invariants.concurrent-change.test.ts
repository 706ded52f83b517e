import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cancelSubOrder } from "../../src/cancellation/sub-order-cancellation";
import { auditInvariants } from "../../src/jobs/audit-invariants";
import { reassignSubOrder } from "../../src/reassignment/reassign";
import { order, reassignableMarket } from "../http/routing.fixtures";
import { newCustomer, uid } from "../support/api";
import { type Call, lost, stockCalls } from "../support/bindings";
import { BENGALURU, checkout, opsMoveTo, pay, stockedSku } from "../support/marketplace";

const holdOf = async (orderId: string) =>
  (await env.DB.prepare("select hold_id as h from orders where id = ?").bind(orderId).first<{ h: string }>())!.h;

/** The ops alerts the audit raised about the order's lines. */
async function alertsOf(orderId: string) {
  const rows = await env.DB.prepare(
    "select dedupe_key as k from notifications where template = 'invariant_violated' and dedupe_key like ?",
  )
    .bind(`invariant:%:${orderId}:%`)
    .all<{ k: string }>();
  return rows.results;
}

async function violationsOf(bindings: Env, orderId: string) {
  const { violations } = await auditInvariants(bindings, new Date());
  return violations.filter((v) => v.orderId === orderId);
}

describe("the invariant audit of an order that changes while it runs", () => {
  it("reports nothing for a sub-order cancelled between the read of its lines and that of its hold", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }]);
    const paid = await pay(shopper.token, placed.body.payment.id);
    const orderId = paid.body.id as string;
    const holdId = await holdOf(orderId);
    let cancelled = false;
    // Ops cancel the sub-order once the audit has read its lines, just before it asks for its hold.
    const cancelFirst = stockCalls({
      holdsOf:
        (call: Call) =>
        async (...args) => {
          if (!cancelled && args[0] === holdId) {
            cancelled = true;
            const outcome = await cancelSubOrder(env, undefined, {
              subOrderId: paid.body.subOrders[0].id,
              reason: "vendor cannot ship",
              actor: { role: "ops", id: uid("tok_") },
              now: new Date(),
            });
            expect(outcome).toMatchObject({ ok: true, changed: true });
          }
          return call(...args);
        },
    });

    expect(await violationsOf(cancelFirst, orderId)).toEqual([]);
    expect(cancelled).toBe(true);
    expect(await alertsOf(orderId)).toEqual([]);
  });

  it("leaves an order whose move has not reached its hold yet to the reassignment-stock job", async () => {
    const { a, b } = await reassignableMarket(10);
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ skuId: a.skuId, qty: 2 }]);
    await pay(shopper.token, placed.body.payment.id);
    const orderId = placed.body.order.id as string;
    // D1 has the line with B's offer; the stock objects still commit A's units.
    await expect(
      reassignSubOrder(
        stockCalls({ reallocate: () => lost }),
        undefined,
        opsMoveTo(placed.body.order.subOrders[0].id, b.skuId),
      ),
    ).rejects.toThrow("Network connection lost.");

    expect(await violationsOf(env, orderId)).toEqual([]);
    expect(await alertsOf(orderId)).toEqual([]);
  });
});
