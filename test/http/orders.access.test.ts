import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { BENGALURU, checkout, MUMBAI, pay, stockedSku, stockOf } from "../support/marketplace";

/** One paid two-vendor order, and principals who must not see or touch it. */
async function scene() {
  const a = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: 1_000 });
  const b = await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 5 }], priceMinor: 2_000 });
  const outsider = await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 1 }] });
  const owner = await newCustomer();
  const r = await checkout(owner.token, [
    { skuId: a.skuId, qty: 1 },
    { skuId: b.skuId, qty: 2 },
  ]);
  expect(r.status).toBe(201);
  return {
    a,
    b,
    owner,
    order: r.body.order,
    payment: r.body.payment,
    vendorA: await tokenFor("vendor", { vendorId: a.vendorId }),
    otherVendor: await tokenFor("vendor", { vendorId: outsider.vendorId }),
    otherCustomer: (await newCustomer()).token,
    ops: await tokenFor("ops"),
  };
}

describe("order visibility and access", () => {
  it("shows a vendor only its own sub-order and no parent total", async () => {
    const s = await scene();
    const r = await api("GET", `/v1/orders/${s.order.id}`, { token: s.vendorA });
    expect(r.status).toBe(200);
    expect(r.body.subOrders.map((x: any) => x.vendorId)).toEqual([s.a.vendorId]);
    expect(r.body.total).toBeUndefined();
    expect(JSON.stringify(r.body)).not.toContain(s.b.skuId);
    const list = await api("GET", "/v1/orders", { token: s.vendorA });
    const mine = list.body.items.find((o: any) => o.id === s.order.id);
    expect(mine.subOrders).toHaveLength(1);
    expect(mine.total).toBeUndefined();
  });

  it("gives a vendor the shopper's name and address only while it has a paid parcel to send", async () => {
    const s = await scene();
    const subA = s.order.subOrders.find((x: any) => x.vendorId === s.a.vendorId).id;
    const seen = async () => {
      const order = await api("GET", `/v1/orders/${s.order.id}`, { token: s.vendorA });
      const sub = await api("GET", `/v1/sub-orders/${subA}`, { token: s.vendorA });
      return [order.body.shipTo, sub.body.shipTo];
    };
    // Unpaid: an order the shopper may never pay gives the vendor no one's address.
    expect(await seen()).toEqual([null, null]);
    expect((await api("GET", `/v1/orders/${s.order.id}`, { token: s.ops })).body.shipTo.name).toBeTruthy();

    expect((await pay(s.owner.token, s.payment.id)).status).toBe(200);
    const paid = await seen();
    expect(paid.map((x: any) => x?.name)).toEqual(Array(2).fill(s.order.shipTo.name));

    const cancelled = await api("POST", `/v1/sub-orders/${subA}/cancel`, {
      token: s.vendorA,
      body: { reason: "out of stock after all" },
    });
    expect(cancelled.status).toBe(200);
    expect(await seen()).toEqual([null, null]);
  });

  it("answers 404 to other principals and changes nothing", async () => {
    const s = await scene();
    for (const token of [s.otherVendor, s.otherCustomer]) {
      expect((await api("GET", `/v1/orders/${s.order.id}`, { token })).status).toBe(404);
    }
    const cancel = await api("POST", `/v1/orders/${s.order.id}/cancel`, {
      token: s.otherCustomer,
      body: { reason: "other" },
    });
    expect(cancel.status).toBe(404);
    const steal = await pay(s.otherCustomer, s.payment.id);
    expect(steal.status).toBe(404);
    const listed = await api("GET", "/v1/orders", { token: s.otherCustomer });
    expect(listed.body.items).toEqual([]);
    const otherVendorList = await api("GET", `/v1/orders?vendorId=${s.a.vendorId}`, { token: s.otherVendor });
    expect(otherVendorList.status).toBe(404);
    const otherWarehouse = await api("GET", `/v1/orders?warehouseId=${s.a.warehouseIds[0]}`, { token: s.otherVendor });
    expect(otherWarehouse.status).toBe(404);
    const unknown = await api("GET", "/v1/orders/ord_nope", { token: ADMIN });
    expect(unknown.status).toBe(404);
    const row = await env.DB.prepare("select status, payment_status as p from orders where id = ?")
      .bind(s.order.id)
      .first();
    expect(row).toEqual({ status: "pending_payment", p: "unpaid" });
    expect((await stockOf(s.a.skuId)).totals.held).toBe(1);
  });

  it("answers 403 to roles that may never call a route", async () => {
    const s = await scene();
    expect(
      (await api("POST", `/v1/orders/${s.order.id}/cancel`, { token: s.vendorA, body: { reason: "other" } })).status,
    ).toBe(403);
    expect((await pay(s.vendorA, s.payment.id)).status).toBe(403);
    expect((await pay(s.ops, s.payment.id)).status).toBe(403);
    expect((await api("GET", "/v1/orders")).status).toBe(401);
    expect((await api("GET", "/v1/admin/jobs", { token: s.ops })).status).toBe(403);
    expect((await api("POST", "/v1/admin/jobs/expire-holds/run", { token: s.owner.token, body: {} })).status).toBe(403);
    expect((await api("POST", "/v1/tokens", { token: s.vendorA, body: { role: "ops" } })).status).toBe(403);
  });

  it("lets the customer cancel before dispatch: unpaid releases holds, paid refunds", async () => {
    const s = await scene();
    const cancelled = await api("POST", `/v1/orders/${s.order.id}/cancel`, {
      token: s.owner.token,
      body: { reason: "changed_mind" },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe("cancelled");
    expect((await stockOf(s.a.skuId)).totals).toMatchObject({ held: 0, available: 5 });
    expect((await pay(s.owner.token, s.payment.id)).status).toBe(409);

    const again = await scene();
    expect((await pay(again.owner.token, again.payment.id)).body.status).toBe("paid");
    const refunded = await api("POST", `/v1/orders/${again.order.id}/cancel`, {
      token: again.ops,
      body: { reason: "suspected_fraud" },
    });
    expect(refunded.status).toBe(200);
    expect(refunded.body).toMatchObject({ status: "cancelled", paymentStatus: "refunded" });
    expect((await stockOf(again.b.skuId)).totals).toMatchObject({ committed: 0, available: 5 });
    const repeat = await api("POST", `/v1/orders/${again.order.id}/cancel`, {
      token: again.ops,
      body: { reason: "suspected_fraud" },
    });
    expect(repeat.status).toBe(200);
    const refunds = await env.DB.prepare(
      "select count(*) as n, sum(amount_minor) as total from refunds where order_id = ?",
    )
      .bind(again.order.id)
      .first<{ n: number; total: number }>();
    // One refund per sub-order (each under its own key), together exactly the order's total.
    expect(refunds).toEqual({ n: again.order.subOrders.length, total: again.order.total.amountMinor });
  });

  it("pages orders with a keyset cursor and filters them", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 20 }] });
    const shopper = await newCustomer();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }])).body.order.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : "";
      const page = await api("GET", `/v1/orders?limit=2${q}`, { token: shopper.token });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((o: any) => o.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([...ids].sort());
    const byWarehouse = await api("GET", `/v1/orders?warehouseId=${s.warehouseIds[0]}&status=pending_payment`, {
      token: ADMIN,
    });
    expect(byWarehouse.body.items.length).toBeGreaterThanOrEqual(5);
    const bad = await api("GET", "/v1/orders?cursor=zzz", { token: ADMIN });
    expect(bad.status).toBe(422);
    const badLimit = await api("GET", "/v1/orders?limit=500", { token: ADMIN });
    expect(badLimit.status).toBe(422);
    // Times that run backwards would match nothing: refused on the list, its counts and its export.
    const backwards = "from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z";
    for (const path of ["/v1/orders", "/v1/orders/counts", "/v1/orders/export"]) {
      const r = await api("GET", `${path}?${backwards}`, { token: ADMIN });
      expect([r.status, r.body.errors?.[0]?.path], path).toEqual([422, "from"]);
    }
  });

  it("time filters with fractions of a second bound the whole-second times orders are kept in", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    expect(placed.status).toBe(201);
    const at = Date.parse(placed.body.order.createdAt as string);
    expect(at % 1000).toBe(0);
    const listed = async (filter: string, ms: number) => {
      const r = await api("GET", `/v1/orders?${filter}=${new Date(at + ms).toISOString()}`, { token: shopper.token });
      expect(r.status).toBe(200);
      return r.body.items.length as number;
    };
    // Half a second after it was placed: not from then on, but up to then.
    expect(await listed("from", 500)).toBe(0);
    expect(await listed("to", 500)).toBe(1);
    // Half a second before: from then on, but not up to then.
    expect(await listed("from", -500)).toBe(1);
    expect(await listed("to", -500)).toBe(0);
    // The last fraction of year 9999 rounds up no further than its last second.
    const last = await api("GET", "/v1/orders?to=9999-12-31T23:59:59.500Z", { token: shopper.token });
    expect([last.status, last.body.items?.length]).toEqual([200, 1]);
  });
});
