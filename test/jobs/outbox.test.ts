import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { ADMIN, api, newCustomer } from "../support/api";
import { BENGALURU, checkout, stockedSku } from "../support/marketplace";
import { seedPaidOrder } from "../support/seed";

describe("order events", () => {
  it("queues the outbox row right after the checkout batch", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 3 }] });
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    await vi.waitFor(async () => {
      const row = await env.DB.prepare("select dispatched_at as d from outbox where order_id = ?")
        .bind(r.body.order.id)
        .first<{ d: string | null }>();
      expect(row?.d).not.toBeNull();
    });
  });

  it("sweeps rows left behind and sends each once", async () => {
    const at = "2026-01-01T00:00:00Z";
    await env.DB.prepare(
      "insert into outbox (type, order_id, payload, dedupe_key, created_at) values ('order.placed', null, '{}', ?, ?)",
    )
      .bind(`test:${crypto.randomUUID()}`, at)
      .run();
    const first = await api("POST", "/v1/admin/jobs/outbox-sweep/run", { token: ADMIN, body: {} });
    expect(first.body.result.sent).toBeGreaterThanOrEqual(1);
    const second = await api("POST", "/v1/admin/jobs/outbox-sweep/run", { token: ADMIN, body: {} });
    expect(second.body.result.sent).toBe(0);
  });

  it("a redelivered event queues its messages and reaches its feeds once; both deliveries are acked", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 3 }] });
    const shopper = await newCustomer();
    const { orderId } = await seedPaidOrder(shopper.customerId, [s.vendorId]);
    const vendorFeed = env.FEEDS.get(env.FEEDS.idFromName(`vendor:${s.vendorId}`));
    const deliver = async (event: Record<string, unknown>, messageId: string) => {
      const batch = createMessageBatch("order-events", [
        { id: messageId, timestamp: new Date(), attempts: 1, body: event },
      ]);
      await worker.queue(batch, env);
      return getQueueResult(batch, createExecutionContext());
    };
    const queued = async () =>
      (await env.DB.prepare("select count(*) as n from notifications where order_id = ?")
        .bind(orderId)
        .first<{ n: number }>())!.n;
    const at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const paid = { id: 987_654, type: "order.paid", orderId, at, payload: { orderId } };

    const first = await deliver(paid, "m1");
    expect(first.explicitAcks).toEqual(["m1"]);
    const afterFirst = { queued: await queued(), lastId: (await vendorFeed.status()).lastId };
    expect(afterFirst.queued).toBe(1);
    expect(afterFirst.lastId).toBeGreaterThan(0);

    const again = await deliver(paid, "m2");
    expect(again.explicitAcks).toEqual(["m2"]);
    expect(await queued()).toBe(afterFirst.queued);
    expect((await vendorFeed.status()).lastId).toBe(afterFirst.lastId);

    // A dead letter replayed days later is older than the feeds remember ids for: not news, not shown.
    const old = { ...paid, id: 987_655, at: new Date(Date.now() - 2 * 86_400_000).toISOString() };
    expect((await deliver(old, "m3")).explicitAcks).toEqual(["m3"]);
    expect((await vendorFeed.status()).lastId).toBe(afterFirst.lastId);
  });

  it("lists the scheduled jobs and runs one with a moved clock", async () => {
    const list = await api("GET", "/v1/admin/jobs", { token: ADMIN });
    expect(list.body.items.map((j: any) => j.name)).toEqual(
      expect.arrayContaining(["expire-holds", "outbox-sweep", "audit-invariants", "purge-expired-keys"]),
    );
    const run = await api("POST", "/v1/admin/jobs/audit-invariants/run", {
      token: ADMIN,
      body: { now: "2030-01-01T00:00:00Z" },
    });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ job: "audit-invariants", now: "2030-01-01T00:00:00Z" });
    expect(run.body.result.violations).toEqual([]);
    const bare = await api("POST", "/v1/admin/jobs/outbox-sweep/run", { token: ADMIN });
    expect(bare.status).toBe(200);
    expect((await api("POST", "/v1/admin/jobs/nope/run", { token: ADMIN, body: {} })).status).toBe(404);
  });
});
