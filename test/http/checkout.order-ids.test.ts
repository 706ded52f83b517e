import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { beginAttempt, orderIdFor } from "../../src/checkout/attempt";
import { CheckoutBody } from "../../src/contracts/orders";
import { isoSeconds } from "../../src/domain/time";
import { uid } from "../support/api";
import { BENGALURU, checkout, customers, DELHI, MUMBAI, shipTo, stockedSku, stockOf } from "../support/marketplace";

const noBackground = { waitUntil: (_: Promise<unknown>) => {} };

describe("checkout's order ids", () => {
  it("grow with the time the order's stock was held", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const buyers = await customers(4);
    const ids: string[] = [];
    for (const b of buyers) {
      const r = await checkout(b.token, [{ skuId: s.skuId, qty: 1 }]);
      expect(r.status).toBe(201);
      ids.push(r.body.order.id);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect([...ids].sort()).toEqual(ids);
  });

  it("keep the expiry of a hold an earlier attempt under the same key took, and name the same order", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const [buyer] = await customers(1);
    const key = uid("earlier-");
    const lines = [{ skuId: s.skuId, qty: 1 }];
    // What an attempt that died after its claim left behind: the hold, and no order.
    const a = await beginAttempt(env, noBackground, {
      customer: { role: "customer", tokenId: "tok_test", customerId: buyer!.customerId },
      clientAddress: "203.0.113.9",
      idempotencyKey: key,
      body: CheckoutBody.parse({ lines, shipTo: shipTo(BENGALURU) }),
      now: new Date(),
    });
    const earlier = Date.now() + 60_000;
    const stock = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(s.skuId));
    const held = await stock.reserve({
      skuId: s.skuId,
      holdId: a.holdId,
      qty: 1,
      warehouses: s.warehouseIds,
      expiresAt: earlier,
    });
    expect(held.ok).toBe(true);

    const r = await checkout(buyer!.token, lines, key);
    expect(r.status).toBe(201);
    expect(r.body.order.id).toBe(orderIdFor(a, earlier));
    expect(r.body.payment.holdExpiresAt).toBe(isoSeconds(new Date(earlier)));
    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 1, available: 4 });
    const rows = await stock.holdsOf(a.holdId);
    expect(rows.map((h) => h.expiresAt)).toEqual([earlier]);
  });

  it("are one order and one payment for a 3-vendor cart sent concurrently under one key", async () => {
    const skus = await Promise.all(
      [BENGALURU, MUMBAI, DELHI].map((at) => stockedSku({ warehouses: [{ at, onHand: 10 }] })),
    );
    const [buyer] = await customers(1);
    const key = uid("same-cart-");
    const lines = skus.map((s) => ({ skuId: s.skuId, qty: 1 }));
    const replies = await Promise.all(Array.from({ length: 12 }, () => checkout(buyer!.token, lines, key)));
    for (const r of replies) expect(r.status).toBe(201);
    for (const r of replies) expect(r.body).toEqual(replies[0]!.body);
    const orderId = replies[0]!.body.order.id as string;
    const counts = await env.DB.prepare(
      "select (select count(*) from orders where customer_id = ?1) as orders, (select count(*) from payments where order_id = ?2) as payments",
    )
      .bind(buyer!.customerId, orderId)
      .first<{ orders: number; payments: number }>();
    expect(counts).toEqual({ orders: 1, payments: 1 });
    for (const s of skus) expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 1, available: 9 });
  });
});
