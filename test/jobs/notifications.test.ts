import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { ADMIN, api, newCustomer } from "../support/api";
import { BENGALURU, checkout, MUMBAI, pay, stockedSku } from "../support/marketplace";

const run = (now: Date) =>
  api("POST", "/v1/admin/jobs/notification-sender/run", { token: ADMIN, body: { now: now.toISOString() } });

/** The queue delivering the outbox row of this dedupe key again, as after a consumer's failure. */
async function redeliver(dedupeKey: string, messageId: string) {
  const row = await env.DB.prepare(
    "select id, type, order_id as orderId, created_at as at, payload from outbox where dedupe_key = ?",
  )
    .bind(dedupeKey)
    .first<{ id: number; type: string; orderId: string; at: string; payload: string }>();
  const body = { id: row!.id, type: row!.type, orderId: row!.orderId, at: row!.at, payload: JSON.parse(row!.payload) };
  const batch = createMessageBatch("order-events", [{ id: messageId, timestamp: new Date(), attempts: 2, body }]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([messageId]);
}

/** An order of two sellers' parcels, paid, and the shopper's own read of its messages once one is queued. */
async function paidSplitOrder() {
  const a = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
  const b = await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 5 }] });
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [
    { skuId: a.skuId, qty: 1 },
    { skuId: b.skuId, qty: 1 },
  ]);
  const orderId: string = placed.body.order.id;
  await pay(shopper.token, placed.body.payment.id);
  const mine = () => api("GET", `/v1/notifications?orderId=${orderId}`, { token: shopper.token });
  await vi.waitFor(async () => expect((await mine()).body.items).toHaveLength(1), { timeout: 10_000 });
  return { orderId, mine };
}

describe("notifications", () => {
  it("confirms a split order once, saying how many parcels to expect, whatever the redelivery", async () => {
    const { orderId, mine } = await paidSplitOrder();
    const confirmation = (await mine()).body.items[0];
    expect(confirmation).toMatchObject({ template: "order_confirmed_split", priority: 0, status: "queued" });
    expect(confirmation.text).toContain("2 parcels from 2 sellers");

    await redeliver(`order.paid:${orderId}`, "again");
    expect((await mine()).body.items).toHaveLength(1);
    const other = await newCustomer();
    expect((await api("GET", `/v1/notifications?orderId=${orderId}`, { token: other.token })).body.items).toEqual([]);
  });

  it("sends one confirmation per event and shopper, even when a move since changed how many parcels it counts", async () => {
    const { orderId, mine } = await paidSplitOrder();
    expect((await mine()).body.items[0].template).toBe("order_confirmed_split");

    // Ops merged one parcel into the other: its sub-order is now a shell the shopper never sees, so
    // the order counts one parcel. The paid event, delivered again, is still the one already told.
    await env.DB.prepare(
      "update sub_orders set status = 'cancelled', cancellation_reason = 'reassigned' where id = (select id from sub_orders where order_id = ? order by id limit 1)",
    )
      .bind(orderId)
      .run();
    await redeliver(`order.paid:${orderId}`, "after-merge");
    const items = (await mine()).body.items;
    expect(items.map((n: { template: string }) => n.template)).toEqual(["order_confirmed_split"]);
  });

  it("sends confirmations first and never more than the limit in a minute, even from two senders at once", async () => {
    const order = await env.DB.prepare("select id, customer_id as c from orders limit 1").first<{
      id: string;
      c: string;
    }>();
    const created = "2026-11-22T08:00:00Z";
    const statements = Array.from({ length: 1000 }, (_, i) =>
      env.DB.prepare(
        "insert into notifications (id, order_id, customer_id, thread_key, channel, recipient, template, priority, payload, dedupe_key, created_at) values (?, ?, ?, ?, 'local', 'x', ?, ?, '{}', ?, ?)",
      ).bind(
        `burst-${i}`,
        order!.id,
        order!.c,
        `order:${order!.id}`,
        i % 4 === 0 ? "order_confirmed" : "shipment_delivered",
        i % 4 === 0 ? 0 : 3,
        `burst:${i}`,
        created,
      ),
    );
    for (let i = 0; i < statements.length; i += 100) await env.DB.batch(statements.slice(i, i + 100));

    const minute = (m: number) => new Date(Date.UTC(2030, 0, 1, 0, m, 5));
    const [x, y] = await Promise.all([run(minute(0)), run(minute(0))]);
    expect(x.body.result.sent + y.body.result.sent).toBe(220);
    const first = await env.DB.prepare(
      "select priority, count(*) as n from notifications where id like 'burst-%' and status = 'sent' group by priority",
    ).all<{
      priority: number;
      n: number;
    }>();
    expect(first.results).toEqual([{ priority: 0, n: 220 }]);
    for (let m = 1; m <= 6; m++) {
      const r = await run(minute(m));
      expect(r.body.result.sent).toBeLessThanOrEqual(220);
    }
    const perMinute = await env.DB.prepare(
      "select substr(sent_at, 1, 16) as m, count(*) as n from notifications where sent_at is not null group by m",
    ).all<{ m: string; n: number }>();
    for (const b of perMinute.results) expect(b.n).toBeLessThanOrEqual(220);
    const left = await env.DB.prepare(
      "select count(*) as n from notifications where id like 'burst-%' and status = 'queued'",
    ).first<{ n: number }>();
    expect(left?.n).toBe(0);
  });
});
