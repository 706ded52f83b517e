import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { retryPendingRefunds } from "../../src/jobs/pending-refunds";
import { ADMIN, api, newCustomer } from "../support/api";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";

const queriesOf = (prefix: string) => env.TEST_MIGRATIONS.find((m) => m.name.startsWith(prefix))!.queries;

// 0021 rebuilds `pending_refunds` keyed by each owed refund's own id (a sub-order may owe one per
// return): the rows owed before it, all cancels' keyed by their sub-order, must come through.
describe("migration 0021: owed refunds keyed by their own id", () => {
  it("keeps every row owed before it, as the cancel's refund under its sub-order's key", async () => {
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }], priceMinor: 1_000 });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: sku.skuId, qty: 2 }]);
    expect(placed.status).toBe(201);
    expect((await pay(shopper.token, placed.body.payment.id)).status).toBe(200);
    const orderId = placed.body.order.id as string;
    const sub = placed.body.order.subOrders[0].id as string;
    const paymentId = placed.body.payment.id as string;
    // Another sub-order of the marketplace whose refund was owed and paid before.
    const earlier = await checkout(shopper.token, [{ skuId: sku.skuId, qty: 1 }]);
    expect((await pay(shopper.token, earlier.body.payment.id)).status).toBe(200);
    const paidBefore = earlier.body.order.subOrders[0].id as string;

    // The table as 0008 made it, holding a settled refund and an open one.
    await env.DB.prepare("drop table pending_refunds").run();
    await env.DB.batch(
      queriesOf("0008_")
        .filter((q) => q.includes("pending_refunds"))
        .map((q) => env.DB.prepare(q)),
    );
    const old = env.DB.prepare(
      "insert into pending_refunds (sub_order_id, order_id, payment_id, amount_minor, currency, reason, attempts, last_error, created_at, settled_at) values (?, ?, ?, ?, 'INR', ?, ?, ?, ?, ?)",
    );
    await env.DB.batch([
      old.bind(
        paidBefore,
        earlier.body.order.id,
        earlier.body.payment.id,
        700,
        "cannot fulfil",
        0,
        null,
        "2026-11-01T10:00:00Z",
        "2026-11-01T10:01:00Z",
      ),
      old.bind(sub, orderId, paymentId, 1_000, "out of stock", 3, "provider down", "2026-11-02T10:00:00Z", null),
    ]);

    // 0021, and the later migrations of the table, as a deploy applies them.
    await env.DB.batch(
      env.TEST_MIGRATIONS.filter((m) => m.name >= "0021_")
        .flatMap((m) => m.queries)
        .filter((q) => q.includes("pending_refunds"))
        .map((q) => env.DB.prepare(q)),
    );

    const rows = await env.DB.prepare(
      "select id, sub_order_id, kind, amount_minor, adjustment_minor, reason, attempts, last_error, created_at, settled_at from pending_refunds where sub_order_id in (?, ?) order by created_at",
    )
      .bind(paidBefore, sub)
      .all();
    expect(rows.results).toEqual([
      {
        id: `refund:sub:${paidBefore}`,
        sub_order_id: paidBefore,
        kind: "cancel",
        amount_minor: 700,
        adjustment_minor: 0,
        reason: "cannot fulfil",
        attempts: 0,
        last_error: null,
        created_at: "2026-11-01T10:00:00Z",
        settled_at: "2026-11-01T10:01:00Z",
      },
      {
        id: `refund:sub:${sub}`,
        sub_order_id: sub,
        kind: "cancel",
        amount_minor: 1_000,
        adjustment_minor: 0,
        reason: "out of stock",
        attempts: 3,
        last_error: "provider down",
        created_at: "2026-11-02T10:00:00Z",
        settled_at: null,
      },
    ]);
    // Its constraint and indexes came through the rebuild.
    await expect(
      env.DB.prepare(
        "insert into pending_refunds (id, sub_order_id, order_id, payment_id, amount_minor, currency, reason, created_at) values ('x', ?, ?, ?, 0, 'INR', 'r', '2026-11-03T00:00:00Z')",
      )
        .bind(sub, orderId, paymentId)
        .run(),
    ).rejects.toThrow(/CHECK constraint failed/);
    const indexes = await env.DB.prepare(
      "select name from sqlite_master where type = 'index' and tbl_name = 'pending_refunds' and name not like 'sqlite_%' order by name",
    ).all<{ name: string }>();
    expect(indexes.results.map((r) => r.name)).toEqual([
      "pending_refunds_open",
      "pending_refunds_order_open",
      "pending_refunds_replaces",
      "pending_refunds_sub_order",
    ]);

    // The open one is still owed: listed for ops and paid by the job under the cancel's key.
    const listed = await api("GET", "/v1/admin/refunds/pending?limit=100", { token: ADMIN });
    expect(listed.body.items.filter((p: { orderId: string }) => p.orderId === orderId)).toMatchObject([
      { subOrderId: sub, amount: { amountMinor: 1_000 }, attempts: 3 },
    ]);
    await retryPendingRefunds(env, new Date());
    const after = await env.DB.prepare("select id, settled_at from pending_refunds where sub_order_id = ?")
      .bind(sub)
      .first<{ id: string; settled_at: string | null }>();
    expect(after!.settled_at).not.toBeNull();
    const refunded = await env.DB.prepare("select sum(amount_minor) as n from refunds where sub_order_id = ?")
      .bind(sub)
      .first<{ n: number }>();
    expect(refunded!.n).toBe(1_000);
  });
});
