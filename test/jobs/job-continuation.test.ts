import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api } from "../support/api";
import { meteredDelivery } from "../support/invocation-budget";
import { BENGALURU, checkout, customers, stockedSku, stockOf } from "../support/marketplace";
import { seedPaidOrders } from "../support/seed-orders";

const runJob = (name: string, now: Date) =>
  api("POST", `/v1/admin/jobs/${name}/run`, { token: ADMIN, body: { now: now.toISOString() } });

async function count(sql: string, ...binds: unknown[]) {
  const row = await env.DB.prepare(sql)
    .bind(...binds)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Waits for the queue consumer to finish what a run handed on. */
async function until(done: () => Promise<boolean>) {
  for (let i = 0; i < 100 && !(await done()); i++) await new Promise((r) => setTimeout(r, 100));
  expect(await done()).toBe(true);
}

const json = (ids: string[]) => JSON.stringify(ids);

const cancelled = `select count(*) as n from orders where id in (select value from json_each(?)) and status = 'cancelled'`;

describe("jobs continued on the queue", () => {
  it("a delivery runs one page per job however many of its continuations it holds", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 30 }], vendor: { hourlyCapacity: 1_000 } });
    const shoppers = await customers(20);
    const orderIds: string[] = [];
    for (const shopper of shoppers) {
      const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
      expect(r.status).toBe(201);
      orderIds.push(r.body.order.id);
    }
    const at = new Date(Date.now() + 16 * 60_000).toISOString();
    const next = { type: "job.continue", job: "expire-holds", at, after: { key: "", id: "" } };
    const delivery = await meteredDelivery([next, next, next]);
    expect(delivery.result.explicitAcks).toHaveLength(3);
    // One page: a stock release per cancelled order, six of them, and one continuation sent on.
    expect(delivery.spend.by).toMatchObject({ "SKU_STOCK.release": 6, "ORDER_EVENTS.send": 1 });
    // The page it sent on walks the rest.
    await until(async () => (await count(cancelled, json(orderIds))) === orderIds.length);
  });

  it("a delivery of the bridge's fanned-out continuations runs a page for each, side by side", async () => {
    // Its pages are claimed by lease: merged into one, the minute's fan-out would drain a quarter as fast.
    const next = {
      type: "job.continue",
      job: "inventory-bridge",
      at: new Date().toISOString(),
      after: { key: "", id: "" },
    };
    const one = await meteredDelivery([next]);
    const four = await meteredDelivery([next, next, next, next]);
    expect(four.result.explicitAcks).toHaveLength(4);
    expect(one.spend.queries).toBeGreaterThan(0);
    expect(four.spend.queries).toBe(4 * one.spend.queries);
    // Chains that piled up over a long sync run no more pages at once than the fan-out.
    const twelve = await meteredDelivery(Array.from({ length: 12 }, () => next));
    expect(twelve.result.explicitAcks).toHaveLength(12);
    expect(twelve.spend.queries).toBe(4 * one.spend.queries);
  });

  it("expire-holds cancels a page itself and the rest of what is due through the queue, each once", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 20 }], vendor: { hourlyCapacity: 1_000 } });
    const shoppers = await customers(15);
    const orderIds: string[] = [];
    for (const shopper of shoppers) {
      const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
      expect(r.status).toBe(201);
      orderIds.push(r.body.order.id);
    }
    const later = new Date(Date.now() + 16 * 60_000);
    const [a, b] = await Promise.all([runJob("expire-holds", later), runJob("expire-holds", later)]);
    expect(a.body.result).toMatchObject({ continued: true, failed: 0 });
    expect(b.body.result).toMatchObject({ failed: 0 });
    await until(async () => (await count(cancelled, json(orderIds))) === orderIds.length);
    expect(
      await count(
        "select count(*) as n from order_events where order_id in (select value from json_each(?)) and type = 'order.cancelled'",
        json(orderIds),
      ),
    ).toBe(orderIds.length);
    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 0, available: 20 });
    expect((await runJob("expire-holds", later)).body.result).toMatchObject({ cancelled: 0, continued: false });
  });

  it("the SLA watcher cancels and refunds every breach once, however many, from two runs at once", async () => {
    const s = await stockedSku({
      warehouses: [{ at: BENGALURU, onHand: 30 }],
      vendor: { hourlyCapacity: 1_000, dispatchSlaHours: 18 },
    });
    const orders = await seedPaidOrders(s.skuId, 20);
    const subIds = orders.flatMap((o) => o.subOrderIds);
    const late = new Date(Date.now() + 19 * 3_600_000);
    const [a, b] = await Promise.all([runJob("sla-watcher", late), runJob("sla-watcher", late)]);
    expect(a.body.result).toMatchObject({ continued: true, failed: 0 });
    expect(b.body.result).toMatchObject({ failed: 0 });
    const breached = `select count(*) as n from sub_orders where id in (select value from json_each(?)) and status = 'cancelled' and cancellation_reason = 'sla_breach_auto'`;
    await until(async () => (await count(breached, json(subIds))) === subIds.length);
    expect(
      await count(
        "select count(*) as n from refunds where sub_order_id in (select value from json_each(?))",
        json(subIds),
      ),
    ).toBe(subIds.length);
    expect(
      await count(
        "select count(*) as n from credit_notes where sub_order_id in (select value from json_each(?))",
        json(subIds),
      ),
    ).toBe(subIds.length);
    expect((await stockOf(s.skuId)).totals).toMatchObject({ committed: 0, available: 30 });
  });
});
