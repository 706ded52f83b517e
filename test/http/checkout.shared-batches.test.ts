import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, uid } from "../support/api";
import { BENGALURU, checkout, customers, expectStockEquation, pay, stockedSku, stockOf } from "../support/marketplace";

const BUYERS = 60;

describe("checkouts placed at the same moment, sharing their D1 round trips", () => {
  it("answers 201 only once the order is in D1: each shopper reads theirs at once, a duplicate in the burst fails alone, and the jobs see every order", async () => {
    const s = await stockedSku({ vendor: { hourlyCapacity: 1000 }, warehouses: [{ at: BENGALURU, onHand: 100 }] });
    const buyers = await customers(BUYERS);
    const repeatKey = uid("repeat-");

    const placeAndRead = async (token: string, key?: string) => {
      const placed = await checkout(token, [{ skuId: s.skuId, qty: 1 }], key);
      const read =
        placed.status === 201 ? await api("GET", `/v1/orders/${placed.body.order.id}`, { token }) : undefined;
      return { placed, read };
    };
    const replies = await Promise.all([
      ...buyers.map((b, i) => placeAndRead(b.token, i === 0 ? repeatKey : undefined)),
      // The first buyer's request again, four times at once: one order under the key, whichever
      // shared batches the five land in.
      ...Array.from({ length: 4 }, () => placeAndRead(buyers[0]!.token, repeatKey)),
    ]);

    for (const { placed, read } of replies) {
      expect(placed.status).toBe(201);
      expect(read?.status).toBe(200);
      expect(read?.body.id).toBe(placed.body.order.id);
      expect(read?.body.totalMinor).toBe(placed.body.order.totalMinor);
    }
    const orderIds = new Set(replies.map((r) => r.placed.body.order.id));
    expect(orderIds.size).toBe(BUYERS);
    const repeated = replies.filter((_, i) => i === 0 || i >= BUYERS).map((r) => r.placed.body);
    for (const body of repeated) expect(body).toEqual(repeated[0]);

    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: BUYERS, available: 100 - BUYERS });
    await expectStockEquation(s.skuId);
    const ids = JSON.stringify([...orderIds]);
    const placedEvents = await env.DB.prepare(
      "select count(*) as n from outbox where type = 'order.placed' and order_id in (select value from json_each(?1))",
    )
      .bind(ids)
      .first<{ n: number }>();
    expect(placedEvents?.n).toBe(BUYERS);
    // Every order pays through the simulator, and the invariant audit checks every paid order.
    const firsts = replies.slice(0, BUYERS);
    const paid = await Promise.all(firsts.map((r, i) => pay(buyers[i]!.token, r.placed.body.payment.id)));
    for (const p of paid) expect(p.body.status).toBe("paid");
    const audit = await api("POST", "/v1/admin/jobs/audit-invariants/run", { token: ADMIN, body: {} });
    expect(audit.body.result.ordersChecked).toBeGreaterThanOrEqual(BUYERS);
    expect(audit.body.result.violations).toEqual([]);
    const list = await api("GET", `/v1/orders?limit=100`, { token: ADMIN });
    expect(list.status).toBe(200);
    const listed = new Set((list.body.items as { id: string }[]).map((o) => o.id));
    for (const id of orderIds) expect(listed.has(id)).toBe(true);
  });
});
