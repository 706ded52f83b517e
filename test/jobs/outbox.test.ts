import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { ADMIN, api, newCustomer } from "../support/api";
import { BENGALURU, checkout, stockedSku } from "../support/marketplace";

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

  it("handles a redelivered event once and acks both deliveries", async () => {
    const body = {
      id: 987_654,
      type: "order.paid",
      orderId: "ord_x",
      at: "2026-11-22T09:00:00Z",
      payload: { orderId: "ord_x" },
    };
    for (const attempt of [1, 2]) {
      const batch = createMessageBatch("order-events", [
        { id: `m${attempt}`, timestamp: new Date(), attempts: attempt, body },
      ]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env);
      const result = await getQueueResult(batch, ctx);
      expect(result.explicitAcks).toEqual([`m${attempt}`]);
    }
    const receipts = await env.DB.prepare(
      "select count(*) as n from processed_messages where event_id = '987654' and consumer = 'event-log'",
    ).first<{ n: number }>();
    expect(receipts?.n).toBe(1);
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
