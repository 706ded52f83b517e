import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { cancelOrder } from "../../src/cancellation/order-cancellation";
import { cancelSubOrder } from "../../src/cancellation/sub-order-cancellation";
import { SLA_BREACH_REASON } from "../../src/contracts/order-status";
import { systemActor } from "../../src/domain/principal";
import { api, newCustomer } from "../support/api";
import { stockCalls } from "../support/bindings";
import { BENGALURU, checkout, MUMBAI, pay, stockedSku } from "../support/marketplace";

const DAY_MS = 24 * 3_600_000;

describe("a shopper's cancel of an order whose every part another cancel took first", () => {
  it("sends no order message of its own: each part was told with its refund", async () => {
    const a = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const b = await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 5 }] });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [
      { skuId: a.skuId, qty: 1 },
      { skuId: b.skuId, qty: 1 },
    ]);
    expect(placed.status).toBe(201);
    await pay(shopper.token, placed.body.payment.id);
    const orderId = placed.body.order.id as string;
    const subs = placed.body.order.subOrders as { id: string; vendorId: string }[];
    const subOf = (vendorId: string) => subs.find((s) => s.vendorId === vendorId)!.id;

    let othersRan = false;
    // The shopper's cancel has read the order open; at its first release, vendor A cancels its part
    // and the SLA watcher the other (past its deadline), each to the end: refunded and announced.
    const othersFirst = stockCalls({
      release:
        (release) =>
        async (...args) => {
          if (!othersRan) {
            othersRan = true;
            const byVendor = await cancelSubOrder(env, undefined, {
              subOrderId: subOf(a.vendorId),
              reason: "cannot fulfil",
              actor: { role: "vendor", id: a.vendorId },
              now: new Date(),
            });
            const bySla = await cancelSubOrder(env, undefined, {
              subOrderId: subOf(b.vendorId),
              reason: SLA_BREACH_REASON,
              actor: systemActor("sla-watcher"),
              now: new Date(Date.now() + 30 * DAY_MS),
              slaBreach: true,
            });
            for (const r of [byVendor, bySla])
              expect(r).toMatchObject({ ok: true, changed: true, refundPending: false });
          }
          return release(...args);
        },
    });
    const outcome = await cancelOrder(othersFirst, undefined, {
      orderId,
      reason: "changed_mind",
      actor: { role: "customer", id: shopper.customerId },
      now: new Date(),
    });
    expect(othersRan).toBe(true);
    expect(outcome).toEqual({ ok: true, orderId, changed: false });

    const order = await env.DB.prepare("select status, payment_status from orders where id = ?")
      .bind(orderId)
      .first<{ status: string; payment_status: string }>();
    expect(order).toEqual({ status: "cancelled", payment_status: "refunded" });
    const orderMessages = await env.DB.prepare("select count(*) as n from outbox where dedupe_key = ?")
      .bind(`order.cancelled:${orderId}`)
      .first<{ n: number }>();
    expect(orderMessages!.n, "order.cancelled outbox rows").toBe(0);
    const orderEvents = await env.DB.prepare(
      "select count(*) as n from order_events where order_id = ? and type = 'order.cancelled'",
    )
      .bind(orderId)
      .first<{ n: number }>();
    expect(orderEvents!.n, "order.cancelled timeline events").toBe(0);

    // The shopper hears of each parcel once, with its refund, and of nothing else.
    const templates = async () =>
      (
        (await api("GET", `/v1/notifications?orderId=${orderId}`, { token: shopper.token })).body.items as {
          template: string;
        }[]
      )
        .map((n) => n.template)
        .sort();
    await vi.waitFor(async () => expect(await templates()).toHaveLength(3), { timeout: 10_000 });
    expect(await templates()).toEqual(["order_confirmed_split", "shipment_cancelled", "shipment_cancelled_late"]);
  });
});
