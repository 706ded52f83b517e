import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { ADMIN, api, tokenFor } from "../support/api";

describe("dead letters", () => {
  it("keeps what the queue gave up on, once, for ops to list and replay", async () => {
    const id = `m-${crypto.randomUUID()}`;
    const body = { id: 424_242, type: "order.paid", orderId: "ord_dead", at: "2026-11-22T09:00:00Z", payload: {} };
    for (let i = 0; i < 2; i++) {
      const batch = createMessageBatch("order-events-dlq", [{ id, timestamp: new Date(), attempts: 6, body }]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env);
      expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([id]);
    }
    const ops = await tokenFor("ops");
    const list = await api("GET", "/v1/admin/dead-letters", { token: ops });
    const mine = list.body.items.filter((l: any) => l.messageId === id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ queue: "order-events-dlq", attempts: 6, body, replayedAt: null });
    const replayed = await api("POST", `/v1/admin/dead-letters/${mine[0].id}/replay`, { token: ops });
    expect(replayed.status).toBe(200);
    expect(replayed.body.replayedAt).not.toBeNull();
    expect((await api("POST", "/v1/admin/dead-letters/dl_nope/replay", { token: ADMIN })).status).toBe(404);
    const customer = await tokenFor("customer", {
      customerId: (await api("POST", "/v1/customers", { body: { name: "x" } })).body.customerId,
    });
    expect((await api("GET", "/v1/admin/dead-letters", { token: customer })).status).toBe(403);
  });

  it("retries later a letter it cannot keep now, and keeps the rest of the batch meanwhile", async () => {
    const kept = `m-${crypto.randomUUID()}`;
    const unkept = `m-${crypto.randomUUID()}`;
    const body = { id: 424_243, type: "order.paid", orderId: "ord_dead2", at: "2026-11-22T09:00:00Z", payload: {} };
    // A body D1 cannot be given (JSON has no BigInt) stands for a write that fails: it must not be acked.
    const batch = createMessageBatch("order-events-dlq", [
      { id: unkept, timestamp: new Date(), attempts: 3, body: { ...body, payload: { n: 1n } } },
      { id: kept, timestamp: new Date(), attempts: 6, body },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([kept]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual([unkept]);
    expect(result.outcome).toBe("ok");
  });
});
