import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cancelSubOrder } from "../../src/cancellation/sub-order-cancellation";
import { reassignSubOrder } from "../../src/reassignment/reassign";
import { order, reassignableMarket } from "../http/routing.fixtures";
import { newCustomer } from "../support/api";
import { afterFirstRelease } from "../support/bindings";
import { opsMoveTo, pay } from "../support/marketplace";

const rowsKeyed = async (table: "order_events" | "outbox", key: string) =>
  (await env.DB.prepare(`select count(*) as n from ${table} where dedupe_key = ?`).bind(key).first<{ n: number }>())!.n;

describe("a vendor's cancel that a reassignment of the whole sub-order beat to D1", () => {
  it("writes no cancel: no timeline event, no message, the parcel still going out with the new vendor", async () => {
    const { a, b } = await reassignableMarket(10);
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ skuId: a.skuId, qty: 2 }]);
    await pay(shopper.token, placed.body.payment.id);
    const orderId = placed.body.order.id as string;
    const subId = placed.body.order.subOrders[0].id as string;
    // Right after vendor A's cancel released its units, ops' move of the sub-order to B lands whole:
    // A's sub-order is left an empty shell, cancelled as reassigned.
    let reassigned = false;
    const moveAfterRelease = afterFirstRelease(async () => {
      reassigned = true;
      expect((await reassignSubOrder(env, undefined, opsMoveTo(subId, b.skuId))).ok).toBe(true);
    });
    const outcome = await cancelSubOrder(moveAfterRelease, undefined, {
      subOrderId: subId,
      reason: "cannot fulfil",
      actor: { role: "vendor", id: a.vendorId },
      now: new Date(),
    });
    expect(reassigned).toBe(true);
    expect(outcome).toMatchObject({ ok: true, changed: false, refundedMinor: 0 });

    const key = `sub_order.cancelled:${subId}`;
    expect(await rowsKeyed("order_events", key), "timeline events").toBe(0);
    expect(await rowsKeyed("outbox", key), "outbox rows").toBe(0);
    const subs = await env.DB.prepare(
      "select vendor_id as v, status, cancellation_reason as reason from sub_orders where order_id = ?",
    )
      .bind(orderId)
      .all<{ v: string; status: string; reason: string | null }>();
    expect(subs.results.map((s) => [s.v, s.status, s.reason]).sort()).toEqual(
      [
        [a.vendorId, "cancelled", "reassigned"],
        [b.vendorId, "paid", null],
      ].sort(),
    );
  });
});
