import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { api, newCustomer, tokenFor, uid } from "../support/api";
import { newProduct } from "../support/catalog";
import { BENGALURU, checkout, expectStockEquation, pay, stockedSku } from "../support/marketplace";
import { east, offer, order } from "./routing.fixtures";

async function paidOrders(n: number) {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 50 }] });
  const out: { orderId: string; subId: string }[] = [];
  for (let i = 0; i < n; i++) {
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    const paid = await pay(shopper.token, placed.body.payment.id);
    out.push({ orderId: paid.body.id, subId: paid.body.subOrders[0].id });
  }
  return { s, out, vendor: await tokenFor("vendor", { vendorId: s.vendorId }) };
}

describe("bulk actions", () => {
  it("acts on many, reports each, and one failure does not stop the rest", async () => {
    const ops = await tokenFor("ops");
    const { out, vendor } = await paidOrders(4);
    const ids = [out[0]!.subId, "sub_nope", out[1]!.subId, out[2]!.subId];
    const confirmed = await api("POST", "/v1/sub-orders/bulk", {
      token: ops,
      body: { action: "confirm", ids },
      headers: { "Idempotency-Key": uid("ra-") },
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.results.map((r: any) => [r.id, r.ok])).toEqual([
      [ids[0], true],
      ["sub_nope", false],
      [ids[2], true],
      [ids[3], true],
    ]);
    expect(confirmed.body.results[1].problem).toMatchObject({ status: 404, code: "NOT_FOUND" });

    const flagged = await api("POST", "/v1/orders/bulk", {
      token: ops,
      body: { action: "flag", ids: out.map((o) => o.orderId), note: "chargeback risk" },
    });
    expect(flagged.body.results.every((r: any) => r.ok)).toBe(true);
    expect((await api("GET", "/v1/sub-orders", { token: vendor })).body.items).toEqual([]);
    await api("POST", "/v1/orders/bulk", { token: ops, body: { action: "approve", ids: out.map((o) => o.orderId) } });
    expect((await api("GET", "/v1/sub-orders", { token: vendor })).body.items).toHaveLength(4);

    const cancelled = await api("POST", "/v1/sub-orders/bulk", {
      token: ops,
      headers: { "Idempotency-Key": uid("ra-") },
      body: { action: "cancel", ids: [out[3]!.subId, out[3]!.subId], reason: "vendor closed" },
    });
    expect(cancelled.body.results.every((r: any) => r.ok)).toBe(true);
    const refunds = await env.DB.prepare("select count(*) as n from refunds where sub_order_id = ?")
      .bind(out[3]!.subId)
      .first<{ n: number }>();
    expect(refunds?.n).toBe(1);
  });

  it("assigns many sub-orders to another warehouse: stock follows each, a packed one is refused alone", async () => {
    const ops = await tokenFor("ops");
    const s = await stockedSku({
      warehouses: [
        { at: BENGALURU, onHand: 10 },
        { at: { lat: BENGALURU.lat, lng: BENGALURU.lng + 0.5 }, onHand: 10 },
      ],
    });
    const [near, far] = s.warehouseIds as [string, string];
    const subs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const shopper = await newCustomer();
      const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
      const paid = await pay(shopper.token, placed.body.payment.id);
      expect(paid.body.subOrders[0].lines[0].warehouseId).toBe(near);
      subs.push(paid.body.subOrders[0].id);
    }
    const packed = subs[2]!;
    await api("POST", `/v1/sub-orders/${packed}/confirm`, { token: ops });
    const barcode = (await api("GET", `/v1/sub-orders/${packed}`, { token: ops })).body.lines[0].barcode;
    await api("POST", `/v1/sub-orders/${packed}/pack`, { token: ops, body: { scanned: [barcode] } });

    const r = await api("POST", "/v1/sub-orders/bulk", {
      token: ops,
      headers: { "Idempotency-Key": uid("ra-") },
      body: { action: "assign", ids: subs, target: { warehouseId: far }, reason: "near warehouse audit" },
    });
    expect(r.status).toBe(200);
    expect(r.body.results.map((x: any) => x.ok)).toEqual([true, true, false]);
    expect(r.body.results[2].problem).toMatchObject({ status: 409, code: "ILLEGAL_TRANSITION" });
    for (const id of subs.slice(0, 2)) {
      const sub = (await api("GET", `/v1/sub-orders/${id}`, { token: ops })).body;
      expect(sub.lines.map((l: any) => l.warehouseId)).toEqual([far]);
    }
    const levels = (await api("GET", `/v1/skus/${s.skuId}/stock`, { token: ops })).body.warehouses;
    const at = (w: string) => levels.find((l: any) => l.warehouseId === w);
    expect([at(near).committed, at(far).committed]).toEqual([1, 2]);
    await expectStockEquation(s.skuId);
  });

  it("assigns sub-orders of one order one after another: neither is refused for its sibling's move", async () => {
    const ops = await tokenFor("ops");
    const [p1, p2] = [await newProduct(), await newProduct()];
    const near = (productId: string, km: number) =>
      offer({ productId, warehouses: [{ at: east(BENGALURU, km), onHand: 5 }] });
    const [a, b] = [await near(p1.id, 2), await near(p2.id, 3)];
    const [c, d] = [await near(p1.id, 40), await near(p2.id, 50)];
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [
      { skuId: a.skuId, qty: 1 },
      { skuId: b.skuId, qty: 1 },
    ]);
    await pay(shopper.token, placed.body.payment.id);
    const subs = placed.body.order.subOrders.map((x: any) => x.id as string);
    expect(subs).toHaveLength(2);

    const r = await api("POST", "/v1/sub-orders/bulk", {
      token: ops,
      headers: { "Idempotency-Key": uid("bulk-") },
      body: { action: "assign", ids: subs, target: {}, reason: "both vendors closed today" },
    });
    expect(r.status).toBe(200);
    expect(r.body.results.map((x: any) => [x.id, x.ok, x.problem?.code])).toEqual(
      subs.map((id: string) => [id, true, undefined]),
    );
    const after = await api("GET", `/v1/orders/${placed.body.order.id}`, { token: ops });
    const live = after.body.subOrders.filter((x: any) => x.status !== "cancelled");
    expect(live.flatMap((x: any) => x.lines.map((l: any) => l.skuId)).sort()).toEqual([c.skuId, d.skuId].sort());
    for (const sku of [a, b, c, d].map((o) => o.skuId)) await expectStockEquation(sku);
  });

  it("needs an Idempotency-Key, and the same key and body again acts on nothing twice", async () => {
    const ops = await tokenFor("ops");
    const s = await stockedSku({
      warehouses: [
        { at: BENGALURU, onHand: 10 },
        { at: { lat: BENGALURU.lat, lng: BENGALURU.lng + 0.5 }, onHand: 10 },
        { at: { lat: BENGALURU.lat, lng: BENGALURU.lng + 0.9 }, onHand: 10 },
      ],
    });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    const sub = (await pay(shopper.token, placed.body.payment.id)).body.subOrders[0];
    const body = { action: "assign", ids: [sub.id], target: {}, reason: "near warehouse audit" };
    const committed = async () =>
      new Map(
        (await api("GET", `/v1/skus/${s.skuId}/stock`, { token: ops })).body.warehouses.map((w: any) => [
          w.warehouseId,
          w.committed,
        ]),
      );
    const before = await committed();

    const noKey = await api("POST", "/v1/sub-orders/bulk", { token: ops, body });
    expect([noKey.status, noKey.body.code]).toEqual([400, "IDEMPOTENCY_KEY_REQUIRED"]);
    expect(noKey.headers.get("content-type")).toContain("application/problem+json");
    expect(await committed()).toEqual(before);

    const key = uid("bulk-");
    const first = await api("POST", "/v1/sub-orders/bulk", { token: ops, headers: { "Idempotency-Key": key }, body });
    expect(first.body.results[0].ok).toBe(true);
    const moved = await committed();
    expect(moved).not.toEqual(before);
    const again = await api("POST", "/v1/sub-orders/bulk", { token: ops, headers: { "Idempotency-Key": key }, body });
    expect(again.body).toEqual(first.body);
    // Its stored answer gone, the same key and body still move nothing again.
    await env.DB.prepare("delete from idempotency_keys where key = ?").bind(key).run();
    const late = await api("POST", "/v1/sub-orders/bulk", { token: ops, headers: { "Idempotency-Key": key }, body });
    expect(late.body.results[0].ok).toBe(true);
    expect(await committed()).toEqual(moved);
    const count = await env.DB.prepare("select count(*) as n from reassignments where from_sub_order_id = ?")
      .bind(sub.id)
      .first<{ n: number }>();
    expect(count?.n).toBe(1);
    await expectStockEquation(s.skuId);
  });

  it("answers an id whose action throws as that id's failure, logged with the request id; the rest are applied", async () => {
    const ops = await tokenFor("ops");
    const { out, vendor } = await paidOrders(3);
    // An order row the code cannot read (its address is not JSON): loading it throws.
    await env.DB.prepare("update orders set ship_to = '{broken' where id = ?").bind(out[1]!.orderId).run();
    const errors = vi.spyOn(console, "error");
    try {
      const flagged = await api("POST", "/v1/orders/bulk", {
        token: ops,
        body: { action: "flag", ids: out.map((o) => o.orderId), note: "chargeback risk" },
      });
      expect(flagged.status).toBe(200);
      expect(flagged.body.results.map((r: any) => r.ok)).toEqual([true, false, true]);
      expect(flagged.body.results[1].problem).toMatchObject({ status: 500, code: "INTERNAL" });
      const requestId = flagged.headers.get("x-request-id");
      expect(flagged.body.results[1].problem.requestId).toBe(requestId);
      const logged = errors.mock.calls.map((c) => String(c[0])).find((l) => l.includes(out[1]!.orderId));
      expect(JSON.parse(logged!)).toMatchObject({ requestId, id: out[1]!.orderId });

      const confirmed = await api("POST", "/v1/sub-orders/bulk", {
        token: ops,
        headers: { "Idempotency-Key": uid("ra-") },
        body: { action: "confirm", ids: out.map((o) => o.subId) },
      });
      expect(confirmed.status).toBe(200);
      expect(confirmed.body.results.map((r: any) => r.ok)).toEqual([true, false, true]);
      expect(confirmed.body.results[1].problem).toMatchObject({ status: 500, code: "INTERNAL" });
    } finally {
      errors.mockRestore();
    }
    for (const i of [0, 2]) {
      const order = await env.DB.prepare("select review_held from orders where id = ?")
        .bind(out[i]!.orderId)
        .first<{ review_held: number }>();
      expect(order?.review_held).toBe(1);
      const sub = await env.DB.prepare("select status from sub_orders where id = ?")
        .bind(out[i]!.subId)
        .first<{ status: string }>();
      expect(sub?.status).toBe("confirmed");
    }
    // Only the unreadable order was not held: its vendor still sees that one alone.
    const visible = (await api("GET", "/v1/sub-orders", { token: vendor })).body.items.map((s: any) => s.id);
    expect(visible).toEqual([out[1]!.subId]);
  });

  it("cancels orders with a reason code everyone may see, keeping the free text for ops", async () => {
    const ops = await tokenFor("ops");
    const { out } = await paidOrders(2);
    const ids = out.map((o) => o.orderId);
    const note = "internal: chargeback ring, flagged by the risk team";
    // Free text where the code goes is refused: the reason reaches the shopper and the vendors.
    const free = await api("POST", "/v1/orders/bulk", { token: ops, body: { action: "cancel", ids, reason: note } });
    expect(free.status).toBe(422);
    expect(free.body.errors[0].path).toBe("reason");
    const cancelled = await api("POST", "/v1/orders/bulk", {
      token: ops,
      body: { action: "cancel", ids, reason: "suspected_fraud", note },
    });
    expect(cancelled.body.results.every((r: any) => r.ok)).toBe(true);
    const shopperSees = JSON.stringify(
      await env.DB.prepare(
        "select (select group_concat(reason) from order_events where order_id = ?1) as events, (select group_concat(cancellation_reason) from sub_orders where order_id = ?1) as subs",
      )
        .bind(ids[0])
        .first(),
    );
    expect(shopperSees).toContain("suspected_fraud");
    expect(shopperSees).not.toContain("chargeback");
    const forOps = (await api("GET", `/v1/orders/${ids[0]}`, { token: ops })).body;
    expect(forOps.status).toBe("cancelled");
    expect(forOps.cancellationNotes).toEqual([
      expect.objectContaining({ reason: "suspected_fraud", note, actor: expect.objectContaining({ role: "ops" }) }),
    ]);

    // The dashboard resends the request after a timeout; another ops member "cancels" it again for
    // another reason. Neither cancelled anything: the order's record keeps the one true note.
    const resent = await api("POST", "/v1/orders/bulk", {
      token: ops,
      body: { action: "cancel", ids, reason: "suspected_fraud", note },
    });
    expect(resent.body.results.every((r: any) => r.ok)).toBe(true);
    const other = await api("POST", `/v1/orders/${ids[0]}/cancel`, {
      token: await tokenFor("ops"),
      body: { reason: "duplicate_order", note: "customer asked twice" },
    });
    expect(other.status).toBe(200);
    expect((await api("GET", `/v1/orders/${ids[0]}`, { token: ops })).body.cancellationNotes).toEqual([
      expect.objectContaining({ reason: "suspected_fraud", note }),
    ]);
  });

  it("validates the request and is for ops and admins only", async () => {
    const ops = await tokenFor("ops");
    expect(
      (await api("POST", "/v1/orders/bulk", { token: ops, body: { action: "flag", ids: ["ord_x"] } })).status,
    ).toBe(422);
    expect((await api("POST", "/v1/orders/bulk", { token: ops, body: { action: "approve", ids: [] } })).status).toBe(
      422,
    );
    // At most 20 ids a request, so the largest stays well inside one invocation's D1 and subrequest limits.
    const many = Array.from({ length: 21 }, (_, i) => `ord_${i}`);
    const over = await api("POST", "/v1/orders/bulk", { token: ops, body: { action: "approve", ids: many } });
    expect(over.status).toBe(422);
    expect(over.body.errors[0].path).toBe("ids");
    const most = await api("POST", "/v1/orders/bulk", { token: ops, body: { action: "approve", ids: many.slice(1) } });
    expect(most.status).toBe(200);
    expect(most.body.results).toHaveLength(20);
    for (const body of [
      { action: "assign", ids: ["sub_x"] },
      { action: "confirm", ids: ["sub_x"], target: { warehouseId: "wh_x" } },
      { action: "assign", ids: ["sub_x"], target: { skuId: "sku_x" } },
    ]) {
      expect((await api("POST", "/v1/sub-orders/bulk", { token: ops, body })).status).toBe(422);
    }
    const { vendor } = await paidOrders(1);
    expect(
      (await api("POST", "/v1/sub-orders/bulk", { token: vendor, body: { action: "confirm", ids: ["x"] } })).status,
    ).toBe(403);
  });
});
