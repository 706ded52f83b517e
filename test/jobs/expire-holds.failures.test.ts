import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { expireHolds } from "../../src/jobs/expire-holds";
import { api } from "../support/api";
import { lost, stockCalls } from "../support/bindings";
import { BENGALURU, checkout, customers, MUMBAI, stockedSku, stockOf } from "../support/marketplace";

const setExpiry = (orderId: string, at: Date) =>
  env.DB.prepare("update orders set hold_expires_at = ? where id = ?")
    .bind(at.toISOString().replace(/\.\d{3}Z$/, "Z"), orderId)
    .run();

const statusOf = async (orderId: string) =>
  (await env.DB.prepare("select status from orders where id = ?").bind(orderId).first<{ status: string }>())!.status;

describe("expire-holds when one order's cancel throws", () => {
  it("confirms the page's late payment and sends the rest on, leaving the failed order for a later run", async () => {
    const broken = await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 5 }] });
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 20 }], vendor: { hourlyCapacity: 1_000 } });
    const shoppers = await customers(8);
    const stuck = await checkout(shoppers[0]!.token, [{ skuId: broken.skuId, qty: 1 }]);
    const late = await checkout(shoppers[1]!.token, [{ skuId: s.skuId, qty: 1 }]);
    const rest: string[] = [];
    for (const shopper of shoppers.slice(2)) {
      const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
      expect(r.status).toBe(201);
      rest.push(r.body.order.id);
    }
    expect([stuck.status, late.status]).toEqual([201, 201]);
    // The failing order and the late payment lead the first page; one more than a page is due.
    const now = new Date(Date.now() + 16 * 60_000);
    await setExpiry(stuck.body.order.id, new Date(now.getTime() - 120_000));
    await setExpiry(late.body.order.id, new Date(now.getTime() - 110_000));
    // The provider took the late one's money, but its confirmation has not been applied yet.
    await env.DB.prepare("update payments set status = 'succeeded' where id = ?").bind(late.body.payment.id).run();

    const failing = stockCalls({ release: (call, skuId) => (skuId === broken.skuId ? lost : call) });
    const result = await expireHolds(failing, now);

    expect(result).toMatchObject({ confirmed: 1, failed: 1, continued: true });
    expect(result.cancelled).toBe(4);
    expect(await statusOf(late.body.order.id)).toBe("paid");
    // Left for a later run, its hold untouched.
    expect(await statusOf(stuck.body.order.id)).toBe("pending_payment");
    expect((await stockOf(broken.skuId)).totals).toMatchObject({ held: 1 });

    // The next run, the stock object reachable again, cancels it.
    const again = await expireHolds(env, new Date(now.getTime() + 60_000));
    expect(again.failed).toBe(0);
    expect(await statusOf(stuck.body.order.id)).toBe("cancelled");
    const order = await api("GET", `/v1/orders/${stuck.body.order.id}`, { token: shoppers[0]!.token });
    expect(order.body.subOrders[0].cancellationReason).toBe("hold_expired");
    expect((await stockOf(broken.skuId)).totals).toMatchObject({ held: 0, available: 5 });
  });
});
