import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { stampNudges } from "../../src/db/sla";
import { ADMIN, api, newCustomer } from "../support/api";
import { BENGALURU, checkout, MUMBAI, pay, stockedSku, stockOf } from "../support/marketplace";

const run = (now: Date) =>
  api("POST", "/v1/admin/jobs/sla-watcher/run", { token: ADMIN, body: { now: now.toISOString() } });
const hours = (h: number) => new Date(Date.now() + h * 3_600_000);

async function paidTwoVendorOrder() {
  const fast = await stockedSku({
    warehouses: [{ at: BENGALURU, onHand: 5 }],
    priceMinor: 4_000,
    vendor: { dispatchSlaHours: 18, nudgeLeadHours: 6 },
  });
  const slow = await stockedSku({
    warehouses: [{ at: MUMBAI, onHand: 5 }],
    priceMinor: 1_500,
    vendor: { dispatchSlaHours: 48, nudgeLeadHours: 6 },
  });
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [
    { skuId: fast.skuId, qty: 2 },
    { skuId: slow.skuId, qty: 1 },
  ]);
  const paid = await pay(shopper.token, placed.body.payment.id);
  const sub = (skuVendor: string) => paid.body.subOrders.find((s: any) => s.vendorId === skuVendor).id as string;
  return { fast, slow, order: paid.body, fastSub: sub(fast.vendorId), slowSub: sub(slow.vendorId) };
}

async function count(sql: string, ...binds: unknown[]) {
  return (
    (
      await env.DB.prepare(sql)
        .bind(...binds)
        .first<{ n: number }>()
    )?.n ?? 0
  );
}

describe("SLA watcher", () => {
  it("nudges once inside the window, then cancels and refunds exactly the late vendor's part", async () => {
    const { fast, slow, order, fastSub, slowSub } = await paidTwoVendorOrder();
    await run(hours(11));
    expect(
      await count(
        "select count(*) as n from order_events where sub_order_id = ? and type = 'sub_order.sla_nudge'",
        fastSub,
      ),
    ).toBe(0);
    const nudge = await run(hours(13));
    expect(nudge.body.result.nudged).toBeGreaterThanOrEqual(1);
    await run(hours(14));
    expect(
      await count(
        "select count(*) as n from order_events where sub_order_id = ? and type = 'sub_order.sla_nudge'",
        fastSub,
      ),
    ).toBe(1);
    expect(
      await count(
        "select count(*) as n from order_events where sub_order_id = ? and type = 'sub_order.sla_nudge'",
        slowSub,
      ),
    ).toBe(0);

    const [a, b] = await Promise.all([run(hours(19)), run(hours(19))]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const view = (await api("GET", `/v1/orders/${order.id}`, { token: ADMIN })).body;
    const cancelled = view.subOrders.find((s: any) => s.id === fastSub);
    expect(cancelled).toMatchObject({ status: "cancelled", cancellationReason: "sla_breach_auto" });
    expect(view.subOrders.find((s: any) => s.id === slowSub).status).toBe("paid");
    expect(view.paymentStatus).toBe("partially_refunded");
    expect(await count("select count(*) as n from refunds where sub_order_id = ?", fastSub)).toBe(1);
    expect(await count("select sum(amount_minor) as n from credit_notes where sub_order_id = ?", fastSub)).toBe(8_000);
    expect(await count("select refunded_minor as n from payments where order_id = ?", order.id)).toBe(8_000);
    expect((await stockOf(fast.skuId)).totals).toMatchObject({ committed: 0, available: 5 });
    expect((await stockOf(slow.skuId)).totals).toMatchObject({ committed: 1 });
    await run(hours(20));
    expect(await count("select count(*) as n from refunds where sub_order_id = ?", fastSub)).toBe(1);
  });

  it("nudges a vendor with a 1-hour SLA and the default lead once before the breach", async () => {
    const quick = await stockedSku({
      warehouses: [{ at: BENGALURU, onHand: 3 }],
      priceMinor: 900,
      vendor: { dispatchSlaHours: 1 },
    });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: quick.skuId, qty: 1 }]);
    const paid = await pay(shopper.token, placed.body.payment.id);
    const sub = paid.body.subOrders.find((s: any) => s.vendorId === quick.vendorId);
    const deadline = Date.parse(sub.slaDispatchBy);
    const ahead = (minutes: number) => new Date(deadline - minutes * 60_000);
    const nudges = () =>
      count("select count(*) as n from order_events where sub_order_id = ? and type = 'sub_order.sla_nudge'", sub.id);

    // Ticks between payment and the deadline: nothing before the default 30-minute lead, then one nudge.
    for (const minutes of [55, 45, 35]) await run(ahead(minutes));
    expect(await nudges()).toBe(0);
    for (const minutes of [25, 15, 5, 1]) await run(ahead(minutes));
    expect(await nudges()).toBe(1);
    expect(
      await count(
        "select count(*) as n from sub_orders where id = ? and status = 'paid' and nudged_at is not null",
        sub.id,
      ),
    ).toBe(1);

    await run(ahead(-1));
    const view = (await api("GET", `/v1/orders/${paid.body.id}`, { token: ADMIN })).body;
    expect(view.subOrders.find((s: any) => s.id === sub.id)).toMatchObject({
      status: "cancelled",
      cancellationReason: "sla_breach_auto",
    });
    expect(await nudges()).toBe(1);
  });

  it("does not nudge a sub-order dispatched between the scan and the stamp", async () => {
    const o = await paidTwoVendorOrder();
    // The watcher read the fast part as open; its vendor dispatches before the stamp lands.
    await env.DB.prepare("update sub_orders set status = 'dispatched' where id = ?").bind(o.fastSub).run();
    const stamped = await stampNudges(database(env), [o.fastSub], new Date().toISOString(), {
      role: "system",
      id: "sla-watcher",
    });
    expect(stamped).toEqual({ stamped: 0, outbox: [] });
    expect(
      await count("select count(*) as n from outbox where type = 'sub_order.sla_nudge' and order_id = ?", o.order.id),
    ).toBe(0);
    expect(
      await count(
        "select count(*) as n from order_events where type = 'sub_order.sla_nudge' and sub_order_id = ?",
        o.fastSub,
      ),
    ).toBe(0);
  });
});
