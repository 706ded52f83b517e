import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BULK_NOT_STARTED } from "../../src/contracts/common";
import { ADMIN, api, newCustomer, uid } from "../support/api";
import { LIMITS, meteredRequest } from "../support/invocation-budget";
import { BENGALURU, checkout, pay, stockedSku, stockOf } from "../support/marketplace";

// What a bulk request alone may spend (src/http/bulk-budget.ts, test/http/invocation-budget.test.ts).
const ALONE = { queries: LIMITS.queries / 3, subrequests: LIMITS.subrequests / 3 };
const VENDORS = 10;
const IDS = 20;

async function paidOrders(skuIds: string[], count: number) {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const shopper = await newCustomer();
      const placed = await checkout(
        shopper.token,
        skuIds.map((skuId) => ({ skuId, qty: 1 })),
      );
      const paid = await pay(shopper.token, placed.body.payment.id);
      expect(paid.status).toBe(200);
      return { orderId: paid.body.id as string, subOrderIds: paid.body.subOrders.map((s: { id: string }) => s.id) };
    }),
  );
}

const statusOf = async (orderId: string) =>
  (await env.DB.prepare("select status from orders where id = ?").bind(orderId).first<{ status: string }>())?.status;

describe("a bulk request starts only the ids its share of the Worker's limits covers", () => {
  it(`cancels ${IDS} orders of ${VENDORS} vendors: the first ones, and answers the rest not started, untouched`, async () => {
    const skus = await Promise.all(
      Array.from({ length: VENDORS }, () =>
        stockedSku({ warehouses: [{ at: BENGALURU, onHand: IDS + 5 }], vendor: { hourlyCapacity: 1_000_000 } }),
      ),
    );
    const skuIds = skus.map((s) => s.skuId);
    const orders = await paidOrders(skuIds, IDS);
    const held = (await stockOf(skuIds[0]!)).totals;

    const cancelled = await meteredRequest("POST", "/v1/orders/bulk", {
      token: ADMIN,
      body: { action: "cancel", reason: "changed_mind", ids: orders.map((o) => o.orderId) },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.spend.queries).toBeLessThan(ALONE.queries);
    expect(cancelled.spend.subrequests).toBeLessThan(ALONE.subrequests);
    const results = cancelled.body.results as { id: string; ok: boolean; problem?: { status: number; code: string } }[];
    expect(results.map((r) => r.id)).toEqual(orders.map((o) => o.orderId));
    const done = results.filter((r) => r.ok);
    const notStarted = results.filter((r) => !r.ok);
    // The first always runs; none fails, and those not run are the tail, each a retryable 429.
    expect(results[0]!.ok).toBe(true);
    expect(notStarted.length).toBeGreaterThan(0);
    expect(results.slice(done.length).every((r) => !r.ok)).toBe(true);
    for (const r of notStarted) expect(r.problem).toMatchObject({ status: 429, code: BULK_NOT_STARTED });

    for (const r of done) expect(await statusOf(r.id)).toBe("cancelled");
    for (const r of notStarted) expect(await statusOf(r.id)).toBe("paid");
    // Each cancel gave back its unit of every SKU; the orders not started still hold theirs.
    const after = (await stockOf(skuIds[0]!)).totals;
    expect(after.committed).toBe(held.committed - done.length);
    const refunded = await env.DB.prepare(
      `select count(*) as n from refunds where order_id in (select value from json_each(?))`,
    )
      .bind(JSON.stringify(notStarted.map((r) => r.id)))
      .first<{ n: number }>();
    expect(refunded?.n).toBe(0);

    // Sent again, the ids not started are cancelled in turn.
    const again = await api("POST", "/v1/orders/bulk", {
      token: ADMIN,
      body: { action: "cancel", reason: "changed_mind", ids: notStarted.map((r) => r.id) },
    });
    expect(again.body.results[0]).toMatchObject({ id: notStarted[0]!.id, ok: true });
    expect(await statusOf(notStarted[0]!.id)).toBe("cancelled");
  });

  it("starts every id when the request's share covers them all", async () => {
    const sku = await stockedSku({
      warehouses: [{ at: BENGALURU, onHand: IDS + 5 }],
      vendor: { hourlyCapacity: 1_000_000 },
    });
    const orders = await paidOrders([sku.skuId], IDS);
    const confirmed = await api("POST", "/v1/sub-orders/bulk", {
      token: ADMIN,
      headers: { "Idempotency-Key": uid("bulk-") },
      body: { action: "confirm", ids: orders.map((o) => o.subOrderIds[0]) },
    });
    expect(confirmed.body.results.every((r: { ok: boolean }) => r.ok)).toBe(true);
  });
});
