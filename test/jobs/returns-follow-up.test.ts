import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { returnSubOrder } from "../../src/returns/returns";
import { ADMIN, api, tokenFor, uid } from "../support/api";
import { type Call, d1Batches, lost, stockCalls } from "../support/bindings";
import { meteredJob } from "../support/invocation-budget";
import { BENGALURU, stockedSku, stockOf } from "../support/marketplace";
import { deliveredOrder } from "../support/payouts";

const runJob = (now: Date) =>
  api("POST", "/v1/admin/jobs/returns-follow-up/run", { token: ADMIN, body: { now: now.toISOString() } });

/** D1 gone for the first batch that records a return (its timeline event), and for no other. */
function recordFailsOnce(): Env {
  let failed = false;
  return d1Batches((batch: Call) => async (...args) => {
    const statements = args[0] as { statement?: string }[];
    if (failed || !statements.some((s) => /insert into "order_events"/i.test(s.statement ?? ""))) return batch(...args);
    failed = true;
    return lost();
  });
}

/** A vendor's return of one unit of a line through the use case, with bindings of the test's choosing. */
const returnOne = (bindings: Env, o: { subOrderId: string; lineId: string }, vendorId: string, now: Date) =>
  returnSubOrder(bindings, undefined, {
    subOrderId: o.subOrderId,
    who: { role: "vendor", tokenId: "t", vendorId },
    actor: { role: "vendor", id: vendorId },
    lines: [{ lineId: o.lineId, qty: 1, restockable: true }],
    reason: "wrong size",
    key: uid("ret-"),
    now,
  });

const returnedEvents = async (subOrderId: string) =>
  (await env.DB.prepare("select count(*) as n from order_events where sub_order_id = ? and type = 'sub_order.returned'")
    .bind(subOrderId)
    .first<{ n: number }>())!.n;

const returnedMessages = async (orderId: string) =>
  (await env.DB.prepare("select count(*) as n from outbox where order_id = ? and type = 'sub_order.returned'")
    .bind(orderId)
    .first<{ n: number }>())!.n;

const statusOf = async (subOrderId: string) =>
  (await env.DB.prepare("select status from sub_orders where id = ?").bind(subOrderId).first<{ status: string }>())!
    .status;

describe("a return whose request died after its claim", () => {
  it("is finished by the job as its claim says, once: restocked, recorded and told", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const token = await tokenFor("vendor", { vendorId: s.vendorId });
    const o = await deliveredOrder({ skuId: s.skuId, token }, 1);
    const line = { lineId: o.lineId, qty: 1, restockable: true };
    const onHand = (await stockOf(s.skuId)).totals.onHand;
    const now = new Date();

    await expect(returnOne(recordFailsOnce(), o, s.vendorId, now)).rejects.toThrow();
    // The client retries under a new key: the claim took every unit already.
    const retried = await api("POST", `/v1/sub-orders/${o.subOrderId}/return`, {
      token,
      body: { lines: [line], reason: "wrong size" },
      headers: { "Idempotency-Key": uid("ret-") },
    });
    expect(retried.status).toBe(422);
    expect(JSON.stringify(retried.body)).toContain("at most 0 left to return");

    // A claim this young may still be finishing in its own request.
    expect((await runJob(new Date(now.getTime() + 60_000))).status).toBe(200);
    expect(await returnedEvents(o.subOrderId)).toBe(0);

    const swept = await runJob(new Date(now.getTime() + 10 * 60_000));
    expect(swept.status, JSON.stringify(swept.body)).toBe(200);
    expect(swept.body.result).toMatchObject({ finished: 1 });
    expect(await statusOf(o.subOrderId)).toBe("returned");
    expect(await returnedEvents(o.subOrderId)).toBe(1);
    expect(await returnedMessages(o.orderId)).toBe(1);
    // The request had restocked before it died: the job's restock under the same key is a replay.
    expect((await stockOf(s.skuId)).totals.onHand).toBe(onHand + 1);

    const again = await runJob(new Date(now.getTime() + 11 * 60_000));
    expect(again.body.result).toMatchObject({ finished: 0 });
    expect(await returnedEvents(o.subOrderId)).toBe(1);
    expect(await returnedMessages(o.orderId)).toBe(1);
    expect((await stockOf(s.skuId)).totals.onHand).toBe(onHand + 1);
  });

  it("restocks the units its request could not", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const token = await tokenFor("vendor", { vendorId: s.vendorId });
    const o = await deliveredOrder({ skuId: s.skuId, token }, 1);
    const onHand = (await stockOf(s.skuId)).totals.onHand;
    const now = new Date();
    await expect(returnOne(stockCalls({ adjust: () => lost }), o, s.vendorId, now)).rejects.toThrow();
    expect((await stockOf(s.skuId)).totals.onHand).toBe(onHand);

    expect((await runJob(new Date(now.getTime() + 10 * 60_000))).body.result).toMatchObject({ finished: 1 });
    expect((await stockOf(s.skuId)).totals.onHand).toBe(onHand + 1);
    expect(await statusOf(o.subOrderId)).toBe("returned");
    expect(await returnedEvents(o.subOrderId)).toBe(1);
  });

  it("finishes a page of them within a fifth of an invocation's limits", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 20 }] });
    const token = await tokenFor("vendor", { vendorId: s.vendorId });
    const o = await deliveredOrder({ skuId: s.skuId, token }, 10);
    const onHand = (await stockOf(s.skuId)).totals.onHand;
    const now = new Date();
    for (let i = 0; i < 10; i++) {
      await expect(returnOne(recordFailsOnce(), o, s.vendorId, now)).rejects.toThrow();
    }

    const run = await meteredJob("returns-follow-up", new Date(now.getTime() + 10 * 60_000));
    expect(run.result).toEqual({ finished: 10, failed: 0 });
    expect(run.spend.queries).toBeLessThan(200);
    expect(run.spend.subrequests).toBeLessThan(200);
    expect(await returnedEvents(o.subOrderId)).toBe(10);
    expect(await statusOf(o.subOrderId)).toBe("returned");
    expect((await stockOf(s.skuId)).totals.onHand).toBe(onHand + 10);
  });
});

describe("a return's claim, once recorded", () => {
  it("is marked recorded in the batch that records it, and migration 0044 marks those recorded before it", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const token = await tokenFor("vendor", { vendorId: s.vendorId });
    const o = await deliveredOrder({ skuId: s.skuId, token }, 2);
    const recorded = await returnOne(env, o, s.vendorId, new Date());
    expect(recorded.ok).toBe(true);
    const claimOf = async () =>
      (await env.DB.prepare("select id, recorded_at as recordedAt from return_claims where sub_order_id = ?")
        .bind(o.subOrderId)
        .first<{ id: string; recordedAt: string | null }>())!;
    expect((await claimOf()).recordedAt).not.toBeNull();

    // As before the column: the recorded claim unmarked. The migration's own update marks it by its event.
    await env.DB.prepare("update return_claims set recorded_at = null where sub_order_id = ?").bind(o.subOrderId).run();
    const backfill = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0044_"))!.queries.filter((q) =>
      /^\s*(--.*\n)*\s*UPDATE/i.test(q),
    );
    expect(backfill).toHaveLength(1);
    await env.DB.prepare(backfill[0]!).run();
    const event = await env.DB.prepare(
      "select at from order_events where dedupe_key = ? and type = 'sub_order.returned'",
    )
      .bind((await claimOf()).id)
      .first<{ at: string }>();
    expect((await claimOf()).recordedAt).toBe(event!.at);
  });
});
