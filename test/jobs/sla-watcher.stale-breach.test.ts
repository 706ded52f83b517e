import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { isoSeconds } from "../../src/domain/time";
import { watchSlas } from "../../src/jobs/sla-watcher";
import { setReview } from "../../src/review/review";
import { uid } from "../support/api";
import { afterFirstRelease, type Call, d1Batches, stockCalls } from "../support/bindings";
import { expectStockEquation, stockOf } from "../support/marketplace";
import { breachedPaidOrder } from "../support/seed-orders";

const flagForReview = (orderId: string) =>
  setReview(env, undefined, {
    orderId,
    hold: true,
    note: "suspected fraud",
    actor: { role: "ops", id: uid("tok_") },
    now: new Date(),
  });

/** The sub-order still open, nothing refunded or recorded as a breach, and its unit committed to the order again. */
async function expectNotCancelled(o: Awaited<ReturnType<typeof breachedPaidOrder>>) {
  const sub = await env.DB.prepare("select status, cancellation_reason as reason from sub_orders where id = ?")
    .bind(o.subOrderId)
    .first<{ status: string; reason: string | null }>();
  expect(sub).toEqual({ status: "paid", reason: null });
  const count = async (sql: string) => (await env.DB.prepare(sql).bind(o.subOrderId).first<{ n: number }>())!.n;
  expect(await count("select count(*) as n from pending_refunds where sub_order_id = ?")).toBe(0);
  expect(await count("select count(*) as n from refunds where sub_order_id = ?")).toBe(0);
  expect(await count("select count(*) as n from credit_notes where sub_order_id = ?")).toBe(0);
  expect(
    await count("select count(*) as n from order_events where sub_order_id = ? and type = 'sub_order.cancelled'"),
  ).toBe(0);
  const holds = await env.SKU_STOCK.get(env.SKU_STOCK.idFromName(o.skuId)).holdsOf(o.holdId);
  expect(holds.map((h) => [h.qty, h.status])).toEqual([[1, "committed"]]);
  expect((await stockOf(o.skuId)).totals).toMatchObject({ onHand: 5, available: 4, held: 0, committed: 1 });
  await expectStockEquation(o.skuId);
}

describe("an SLA breach that stops being one after the watcher's scan read it", () => {
  it("flagged for review while its stock is released: not cancelled, and its unit held for the order again", async () => {
    const o = await breachedPaidOrder();
    const result = await watchSlas(
      afterFirstRelease(async () => expect((await flagForReview(o.orderId)).ok).toBe(true), o.skuId),
      new Date(),
    );
    expect(result).toMatchObject({ cancelled: 0, failed: 0 });
    await expectNotCancelled(o);
  });

  it("given a new deadline while its stock is released: not cancelled, and its unit held for the order again", async () => {
    const o = await breachedPaidOrder();
    // A reassignment gives the sub-order a full SLA from the move.
    const later = () =>
      env.DB.prepare("update sub_orders set sla_dispatch_by = ? where id = ?")
        .bind(isoSeconds(Date.now() + 24 * 3_600_000), o.subOrderId)
        .run();
    const result = await watchSlas(afterFirstRelease(later, o.skuId), new Date());
    expect(result).toMatchObject({ cancelled: 0, failed: 0 });
    await expectNotCancelled(o);
  });

  it("flagged for review once two runs at once both released its stock: its unit is held for the order once", async () => {
    const o = await breachedPaidOrder();
    // Each run's release waits for the other's, and then for the flag, before its write.
    let released = 0;
    let flag!: () => void;
    const flagged = new Promise<void>((resolve) => {
      flag = resolve;
    });
    const bindings = stockCalls({
      release:
        (release, sku) =>
        async (...args) => {
          const r = await release(...args);
          if (sku !== o.skuId) return r;
          released += 1;
          if (released === 2) {
            expect((await flagForReview(o.orderId)).ok).toBe(true);
            flag();
          }
          await flagged;
          return r;
        },
    });
    const now = new Date();
    const results = await Promise.all([watchSlas(bindings, now), watchSlas(bindings, now)]);
    expect(released).toBe(2);
    for (const result of results) expect(result).toMatchObject({ cancelled: 0, failed: 0 });
    await expectNotCancelled(o);
  });

  it("flagged for review before the page read it: its stock is never released", async () => {
    const o = await breachedPaidOrder();
    let releases = 0;
    const counted = stockCalls({
      release:
        (release, sku) =>
        async (...args) => {
          if (sku === o.skuId) releases += 1;
          return release(...args);
        },
    });
    // The page's read of the breaches scanned is the watcher's first batch.
    const flagFirst = d1Batches((batch: Call, n) => async (...args) => {
      if (n === 1) await flagForReview(o.orderId);
      return batch(...args);
    });
    const result = await watchSlas({ ...counted, DB: flagFirst.DB }, new Date());
    expect(result).toMatchObject({ cancelled: 0, failed: 0, skipped: 1 });
    expect(releases).toBe(0);
    await expectNotCancelled(o);
  });
});
