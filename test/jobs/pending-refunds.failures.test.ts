import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { retryPendingRefunds } from "../../src/jobs/pending-refunds";
import { d1Batches, lost } from "../support/bindings";
import { BENGALURU, stockedSku } from "../support/marketplace";
import { seedPaidOrders } from "../support/seed-orders";

type Owed = { id: string; attempts: number; settled_at: string | null; last_error: string | null; next: string | null };

describe("the pending-refunds job when one refund's work throws", () => {
  it("counts the throw as that refund's failed attempt and pays the others, later chunks too", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 20 }], vendor: { hourlyCapacity: 1_000 } });
    // More sub-orders than a tick refunds at once, so the tick takes two chunks of them.
    const orders = await seedPaidOrders(s.skuId, 12);
    const now = new Date(Date.now() + 60_000);
    const ids = orders.map((o) => `refund:throws:${o.subOrderIds[0]}`);
    await env.DB.batch(
      orders.map((o, i) =>
        env.DB.prepare(
          `insert into pending_refunds (id, sub_order_id, order_id, payment_id, amount_minor, currency, reason, attempts, last_error, created_at, next_attempt_at)
           select ?, ?, ?, p.id, 100, p.currency, 'changed_mind', 1, '503 api_error', ?, ?
           from payments p where p.order_id = ?`,
        ).bind(
          ids[i],
          o.subOrderIds[0],
          o.orderId,
          `2020-03-01T00:00:${String(i).padStart(2, "0")}Z`,
          new Date(now.getTime() - 60_000).toISOString(),
          o.orderId,
        ),
      ),
    );

    // The tick's first D1 batch (one refund's ledger read) finds D1 gone; every other goes through.
    const failing = d1Batches((batch, n) => (n === 1 ? lost : batch));
    const result = await retryPendingRefunds(failing, now);

    expect(result).toEqual({ refunded: 11, failed: 1 });
    const rows = await env.DB.prepare(
      `select id, attempts, settled_at, last_error, next_attempt_at as next from pending_refunds
       where id in (select value from json_each(?)) order by id`,
    )
      .bind(JSON.stringify(ids))
      .all<Owed>();
    expect(rows.results).toHaveLength(12);
    const open = rows.results.filter((r) => r.settled_at === null);
    expect(open).toHaveLength(1);
    // Tried once more, so the next tick starts with the refunds tried less, and backed off.
    expect(open[0]).toMatchObject({ attempts: 2, last_error: expect.stringContaining("Network connection lost") });
    expect(Date.parse(open[0]!.next!)).toBeGreaterThan(now.getTime());
    expect(rows.results.filter((r) => r.settled_at !== null).every((r) => r.attempts === 1)).toBe(true);
    const refunded = await env.DB.prepare(
      "select count(*) as n from refunds where sub_order_id in (select value from json_each(?))",
    )
      .bind(JSON.stringify(orders.map((o) => o.subOrderIds[0])))
      .first<{ n: number }>();
    expect(refunded!.n).toBe(11);

    // Once D1 is back the next tick pays it.
    const next = await retryPendingRefunds(env, new Date(Date.parse(open[0]!.next!) + 1_000));
    expect(next).toEqual({ refunded: 1, failed: 0 });
  });
});
