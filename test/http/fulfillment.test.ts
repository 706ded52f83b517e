import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { BENGALURU, checkout, DELHI, MUMBAI, pay, stockedSku, stockOf } from "../support/marketplace";

/** A paid three-vendor order and a token for each vendor. */
async function paidOrder() {
  const skus = [
    await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }], priceMinor: 10_000 }),
    await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 10 }], priceMinor: 2_500 }),
    await stockedSku({ warehouses: [{ at: DELHI, onHand: 10 }], priceMinor: 999 }),
  ];
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [
    { skuId: skus[0]!.skuId, qty: 2 },
    { skuId: skus[1]!.skuId, qty: 1 },
    { skuId: skus[2]!.skuId, qty: 3 },
  ]);
  const paid = await pay(shopper.token, placed.body.payment.id);
  expect(paid.body.status).toBe("paid");
  const vendors = await Promise.all(skus.map((s) => tokenFor("vendor", { vendorId: s.vendorId })));
  const subOf = (i: number) => paid.body.subOrders.find((s: any) => s.vendorId === skus[i]!.vendorId).id as string;
  return { skus, shopper, order: paid.body, vendors, subOf };
}

const step = (token: string, sub: string, name: string, body?: unknown) =>
  api("POST", `/v1/sub-orders/${sub}/${name}`, { token, ...(body === undefined ? {} : { body }) });

async function orderStatus(id: string) {
  return (await api("GET", `/v1/orders/${id}`, { token: ADMIN })).body.status as string;
}

async function scansFor(token: string, sub: string) {
  const r = await api("GET", `/v1/sub-orders/${sub}`, { token });
  return r.body.lines.flatMap((l: any) => Array.from({ length: l.qty }, () => l.barcode as string));
}

describe("sub-order lifecycle", () => {
  it("walks a 3-vendor order through every state, the parent following", async () => {
    const { skus, order, vendors, subOf } = await paidOrder();
    const qty = [2, 1, 3];
    const awbs = [
      { carrier: "delhivery", awb: "1234567890123" },
      { carrier: "bluedart", awb: "12345678901" },
      { carrier: "dtdc", awb: "D12345678" },
    ];
    expect(await orderStatus(order.id)).toBe("paid");
    for (let i = 0; i < 3; i++) {
      const sub = subOf(i);
      expect((await step(vendors[i]!, sub, "confirm")).body.status).toBe("confirmed");
      const packed = await step(vendors[i]!, sub, "pack", { scanned: await scansFor(vendors[i]!, sub) });
      expect(packed.status).toBe(200);
      expect(packed.body.status).toBe("packed");
      expect(await orderStatus(order.id)).toBe(i === 0 ? "paid" : "partially_dispatched");
      const dispatched = await step(vendors[i]!, sub, "dispatch", awbs[i]);
      expect(dispatched.body).toMatchObject({ status: "dispatched", ...awbs[i] });
      expect(await orderStatus(order.id)).toBe(i < 2 ? "partially_dispatched" : "dispatched");
      // The units have left the warehouse: out of on_hand and committed.
      expect((await stockOf(skus[i]!.skuId)).totals).toEqual({
        onHand: 10 - qty[i]!,
        available: 10 - qty[i]!,
        held: 0,
        committed: 0,
      });
    }
    const milestone = await step(vendors[0]!, subOf(0), "milestone", { type: "out_for_delivery", note: "van 4" });
    expect(milestone.body.status).toBe("dispatched");
    expect(milestone.body.timeline.at(-1)).toMatchObject({ type: "sub_order.out_for_delivery", reason: "van 4" });
    expect((await step(vendors[0]!, subOf(0), "deliver")).body.status).toBe("delivered");
    expect(await orderStatus(order.id)).toBe("partially_delivered");
    await step(vendors[1]!, subOf(1), "deliver");
    expect(await orderStatus(order.id)).toBe("partially_delivered");
    await step(ADMIN, subOf(2), "deliver");
    expect(await orderStatus(order.id)).toBe("delivered");

    // A partial return: one of three units back and restocked, its price refunded; still delivered.
    const lineId = (await api("GET", `/v1/sub-orders/${subOf(2)}`, { token: vendors[2]! })).body.lines[0].id;
    const returned = await api("POST", `/v1/sub-orders/${subOf(2)}/return`, {
      token: vendors[2]!,
      body: { lines: [{ lineId, qty: 1, restockable: true }], reason: "wrong size" },
      headers: { "Idempotency-Key": `walk-${order.id}` },
    });
    expect(returned.status).toBe(200);
    expect(returned.body.status).toBe("delivered");
    expect((await stockOf(skus[2]!.skuId)).totals).toMatchObject({ onHand: 8, available: 8 });
    const line = await env.DB.prepare("select returned_qty from line_items where id = ?").bind(lineId).first();
    expect(line).toEqual({ returned_qty: 1 });
    const view = (await api("GET", `/v1/orders/${order.id}`, { token: ADMIN })).body;
    expect(view).toMatchObject({ status: "delivered", paymentStatus: "partially_refunded" });
    const refunded = await env.DB.prepare("select refunded_minor from payments where order_id = ?")
      .bind(order.id)
      .first();
    expect(refunded).toEqual({ refunded_minor: 999 });
    const timeline = view.timeline.map((e: any) => e.type);
    for (const t of ["sub_order.confirmed", "sub_order.packed", "sub_order.dispatched", "sub_order.delivered"]) {
      expect(timeline.filter((x: string) => x === t)).toHaveLength(3);
    }
    expect(timeline.filter((x: string) => x === "sub_order.returned")).toHaveLength(1);
    const outbox = await env.DB.prepare("select type from outbox where order_id = ? and type like 'sub_order.%'")
      .bind(order.id)
      .all();
    expect(outbox.results.map((r: any) => r.type).sort()).toEqual(
      [
        ...["confirmed", "packed", "dispatched", "delivered"].flatMap((t) => Array(3).fill(`sub_order.${t}`)),
        "sub_order.milestone",
        "sub_order.returned",
      ].sort(),
    );
  });

  it("refuses illegal transitions with the allowed ones, and changes nothing", async () => {
    const { order, vendors, subOf } = await paidOrder();
    const sub = subOf(0);
    const early = await step(vendors[0]!, sub, "dispatch", { carrier: "delhivery", awb: "1234567890123" });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe("ILLEGAL_TRANSITION");
    expect(early.body.allowed).toEqual(["confirm", "cancel"]);
    expect((await step(vendors[0]!, sub, "deliver")).status).toBe(409);
    expect((await step(vendors[0]!, sub, "confirm")).status).toBe(200);
    const again = await step(vendors[0]!, sub, "confirm");
    expect(again.status).toBe(200);
    const wrong = await step(vendors[0]!, sub, "pack", { scanned: ["nope"] });
    expect(wrong.status).toBe(422);
    expect(wrong.body.unexpected).toEqual([{ barcode: "nope", qty: 1 }]);
    expect(wrong.body.missing).toHaveLength(1);
    await step(vendors[0]!, sub, "pack", { scanned: await scansFor(vendors[0]!, sub) });
    const badAwb = await step(vendors[0]!, sub, "dispatch", { carrier: "bluedart", awb: "ABC" });
    expect(badAwb.status).toBe(422);
    expect(badAwb.body.errors[0].path).toBe("awb");
    const badCarrier = await step(vendors[0]!, sub, "dispatch", { carrier: "pigeon", awb: "123456" });
    expect(badCarrier.status).toBe(422);
    const row = await env.DB.prepare("select status from sub_orders where id = ?").bind(sub).first();
    expect(row).toEqual({ status: "packed" });
    const events = await env.DB.prepare(
      "select count(*) as n from order_events where sub_order_id = ? and type = 'sub_order.confirmed'",
    )
      .bind(sub)
      .first<{ n: number }>();
    expect(events?.n).toBe(1);
    expect(await orderStatus(order.id)).toBe("paid");
  });

  it("keeps each vendor to its own sub-orders", async () => {
    const { shopper, vendors, subOf } = await paidOrder();
    const bodies: Record<string, unknown> = {
      confirm: undefined,
      pack: { scanned: ["x"] },
      dispatch: { carrier: "generic", awb: "NOT-MINE-1" },
      deliver: undefined,
      milestone: { type: "out_for_delivery" },
      cancel: { reason: "not mine" },
    };
    for (const [name, body] of Object.entries(bodies)) {
      expect((await step(vendors[1]!, subOf(0), name, body)).status, name).toBe(404);
      expect((await step(vendors[1]!, "sub_unknown", name, body)).status, name).toBe(404);
      expect((await step(shopper.token, subOf(0), name, body)).status, name).toBe(403);
    }
    expect((await api("GET", `/v1/sub-orders/${subOf(0)}`, { token: vendors[1]! })).status).toBe(404);
    expect((await api("GET", `/v1/sub-orders/${subOf(0)}`, { token: shopper.token })).status).toBe(403);
    expect((await api("GET", "/v1/sub-orders", { token: shopper.token })).status).toBe(403);
    const queue = await api("GET", "/v1/sub-orders", { token: vendors[0]! });
    expect(queue.body.items.map((s: any) => s.id)).toContain(subOf(0));
    expect(queue.body.items.every((s: any) => s.vendorId === queue.body.items[0].vendorId)).toBe(true);
    const row = await env.DB.prepare(
      "select status, (select count(*) from order_events where sub_order_id = ?1) as events from sub_orders where id = ?1",
    )
      .bind(subOf(0))
      .first();
    expect(row).toEqual({ status: "paid", events: 0 });
    const carriers = await api("GET", "/v1/carriers", { token: vendors[0]! });
    expect(carriers.body.items.map((c: any) => c.code)).toEqual(
      expect.arrayContaining(["delhivery", "bluedart", "dtdc", "trackon", "generic"]),
    );
  });

  it("cancels one vendor's part: stock back to its warehouse, exactly that amount refunded once, a credit note", async () => {
    const { skus, order, vendors, subOf } = await paidOrder();
    const sub = subOf(1);
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => step(vendors[1]!, sub, "cancel", { reason: "out of stock in reality" })),
    );
    for (const r of replies) expect(r.status).toBe(200);
    expect((await stockOf(skus[1]!.skuId)).totals).toMatchObject({ committed: 0, available: 10 });
    const view = (await api("GET", `/v1/orders/${order.id}`, { token: ADMIN })).body;
    expect(view.status).toBe("partially_cancelled");
    expect(view.paymentStatus).toBe("partially_refunded");
    const money = await env.DB.prepare(
      "select (select count(*) from refunds where order_id = ?1) as refunds, (select sum(amount_minor) from credit_notes where order_id = ?1) as credited, (select refunded_minor from payments where order_id = ?1) as refunded",
    )
      .bind(order.id)
      .first();
    expect(money).toEqual({ refunds: 1, credited: 2_500, refunded: 2_500 });
    expect(view.timeline.filter((e: any) => e.type === "sub_order.cancelled")).toHaveLength(1);
    expect((await step(vendors[1]!, sub, "confirm")).status).toBe(409);
  });
});

describe("a vendor's queue", () => {
  it("pages newest first, filters by status, and shows only the vendor's own", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const shopper = await newCustomer();
      const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
      ids.push((await pay(shopper.token, placed.body.payment.id)).body.subOrders[0].id);
    }
    await step(vendor, ids[0]!, "confirm");
    const first = await api("GET", "/v1/sub-orders?limit=2", { token: vendor });
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const rest = await api("GET", `/v1/sub-orders?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`, {
      token: vendor,
    });
    expect(rest.body.nextCursor).toBeNull();
    const seen = [...first.body.items, ...rest.body.items].map((x: any) => x.id);
    expect([...seen].sort()).toEqual([...ids].sort());
    const paid = await api("GET", "/v1/sub-orders?status=paid", { token: vendor });
    expect(paid.body.items.map((x: any) => x.id).sort()).toEqual([ids[1], ids[2]].sort());
    const ops = await api("GET", `/v1/sub-orders?vendorId=${s.vendorId}&status=confirmed`, { token: ADMIN });
    expect(ops.body.items.map((x: any) => x.id)).toEqual([ids[0]]);
    expect((await api("GET", "/v1/sub-orders?vendorId=ven_other", { token: vendor })).status).toBe(404);
    expect((await api("GET", "/v1/sub-orders?cursor=garbage", { token: vendor })).status).toBe(422);
  });
});

describe("tracking", () => {
  async function dispatched() {
    const { order, vendors, subOf } = await paidOrder();
    const sub = subOf(0);
    await step(vendors[0]!, sub, "confirm");
    await step(vendors[0]!, sub, "pack", { scanned: await scansFor(vendors[0]!, sub) });
    const awb = `${Date.now()}`.padStart(13, "9").slice(0, 13);
    await step(vendors[0]!, sub, "dispatch", { carrier: "delhivery", awb });
    return { order, vendor: vendors[0]!, sub, awb };
  }
  const post = async (body: unknown, secret = "test-delhivery-webhook-secret") => {
    const raw = JSON.stringify(body);
    const { signHmacSha256 } = await import("../../src/domain/hmac");
    return api("POST", "/v1/webhooks/carriers/delhivery", {
      rawBody: raw,
      headers: { "content-type": "application/json", "x-signature": await signHmacSha256(secret, raw) },
    });
  };

  it("records milestones from the vendor and signed carrier events, once each", async () => {
    const { vendor, sub, awb } = await dispatched();
    const m = await step(vendor, sub, "milestone", { type: "out_for_delivery" });
    expect(m.status).toBe(200);
    const at = "2026-11-22T10:00:00Z";
    for (let i = 0; i < 2; i++) expect((await post({ awb, event: "delivery_attempted", at })).status).toBe(200);
    const forged = await post({ awb, event: "delivered", at }, "wrong-secret-wrong-secret");
    expect(forged.status).toBe(400);
    expect(forged.body.code).toBe("BAD_SIGNATURE");
    const unsigned = await api("POST", "/v1/webhooks/carriers/delhivery", { body: { awb, event: "delivered", at } });
    expect(unsigned.status).toBe(400);
    expect((await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN })).body.status).toBe("dispatched");
    expect((await post({ awb: "0000000000000", event: "delivered", at })).status).toBe(200);
    expect((await post({ awb, event: "delivered", at })).status).toBe(200);
    const view = (await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN })).body;
    expect(view.status).toBe("delivered");
    const types = view.timeline.map((e: any) => e.type);
    expect(types.filter((t: string) => t === "sub_order.delivery_attempted")).toHaveLength(1);
    expect(types).toContain("sub_order.out_for_delivery");
    expect(view.timeline.find((e: any) => e.type === "sub_order.delivered").actor).toEqual({
      role: "system",
      id: "carrier:delhivery",
    });
    expect((await step(vendor, sub, "milestone", { type: "out_for_delivery" })).status).toBe(409);
  });

  it("tells the shopper of a milestone once, however many times the vendor and its carrier report it", async () => {
    const { vendor, sub, awb } = await dispatched();
    const second = (n: number) =>
      new Date(Math.ceil(Date.now() / 1000) * 1000 + n * 1000).toISOString().replace(/\.\d+Z$/, "Z");
    expect((await step(vendor, sub, "milestone", { type: "out_for_delivery" })).status).toBe(200);
    // The carrier reports the same van run seconds later, and the vendor's app retries.
    expect((await post({ awb, event: "out_for_delivery", at: second(2) })).status).toBe(200);
    expect((await post({ awb, event: "out_for_delivery", at: second(3) })).status).toBe(200);
    // A failed attempt, then the next run out: each is news.
    expect((await post({ awb, event: "delivery_attempted", at: second(4) })).status).toBe(200);
    expect((await post({ awb, event: "out_for_delivery", at: second(5) })).status).toBe(200);

    const view = (await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN })).body;
    const milestones = view.timeline
      .map((e: any) => e.type)
      .filter((t: string) => t === "sub_order.out_for_delivery" || t === "sub_order.delivery_attempted");
    expect(milestones).toEqual([
      "sub_order.out_for_delivery",
      "sub_order.delivery_attempted",
      "sub_order.out_for_delivery",
    ]);
    const told = await env.DB.prepare(
      "select count(*) as n from outbox where type = 'sub_order.milestone' and json_extract(payload, '$.subOrderId') = ?",
    )
      .bind(sub)
      .first<{ n: number }>();
    expect(told?.n).toBe(3);
  });

  it("asks the carrier to send again an event for a parcel whose dispatch has not finished", async () => {
    const { vendors, subOf } = await paidOrder();
    const sub = subOf(0);
    await step(vendors[0]!, sub, "confirm");
    await step(vendors[0]!, sub, "pack", { scanned: await scansFor(vendors[0]!, sub) });
    const awb = `${Date.now() + 7}`.padStart(13, "8").slice(0, 13);
    // A dispatch that claimed the AWB and stopped (answered 500): the parcel is with the carrier.
    await env.DB.prepare("update sub_orders set carrier = 'delhivery', awb = ? where id = ?").bind(awb, sub).run();
    const at = new Date().toISOString().replace(/\.\d+Z$/, "Z");

    const early = await post({ awb, event: "delivered", at });
    expect(early.status).toBe(503);
    expect(early.body.code).toBe("SHIPMENT_NOT_DISPATCHED");
    expect(Number(early.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN })).body.status).toBe("packed");

    // The vendor's dispatch again lands; the carrier's resend is then taken.
    expect((await step(vendors[0]!, sub, "dispatch", { carrier: "delhivery", awb })).status).toBe(200);
    expect((await post({ awb, event: "delivered", at })).status).toBe(200);
    expect((await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN })).body.status).toBe("delivered");
  });

  it("takes a carrier's time with its UTC offset, as the instant it names", async () => {
    const { sub, awb } = await dispatched();
    // A second or two on (after the dispatch), written in India's time as Indian carriers send it.
    const instant = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
    const ist = new Date(instant.getTime() + 330 * 60_000).toISOString().replace(/\.\d+Z$/, "+05:30");
    expect((await post({ awb, event: "delivered", at: ist })).status).toBe(200);
    const view = (await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN })).body;
    expect(view.status).toBe("delivered");
    expect(view.timeline.find((e: any) => e.type === "sub_order.delivered").at).toBe(
      instant.toISOString().replace(/\.\d+Z$/, "Z"),
    );
    const noZone = await post({ awb, event: "delivered", at: "2026-11-22T10:00:00" });
    expect(noZone.status).toBe(422);
  });

  it("records no milestone after the delivery that raced it", async () => {
    for (let round = 0; round < 4; round++) {
      const { sub, awb } = await dispatched();
      const at = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, "Z");
      const answers = await Promise.all([
        post({ awb, event: "delivered", at }),
        post({ awb, event: "out_for_delivery", at }),
      ]);
      expect(answers.map((r) => r.status)).toEqual([200, 200]);
      const rows = async (table: string, type: string) =>
        (
          await env.DB.prepare(
            `select id, type from ${table} where ${type} and (${table === "outbox" ? "payload ->> 'subOrderId'" : "sub_order_id"}) = ? order by id`,
          )
            .bind(sub)
            .all<{ id: number; type: string }>()
        ).results.map((r) => r.type);
      // Whatever the order they ran in, the parcel is never "out for delivery" after it was delivered.
      const events = await rows("order_events", "1 = 1");
      expect(events.at(-1)).toBe("sub_order.delivered");
      const outbox = await rows("outbox", "1 = 1");
      expect(outbox.at(-1)).toBe("sub_order.delivered");
    }
  });

  it("refuses a signed event dated in the future, and dates none before the dispatch", async () => {
    const { sub, awb } = await dispatched();
    const ahead = await post({ awb, event: "delivered", at: "2999-01-01T00:00:00Z" });
    expect([ahead.status, ahead.body.errors?.[0]?.path]).toEqual([422, "at"]);
    const before = (await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN })).body;
    expect(before.status).toBe("dispatched");
    expect((await post({ awb, event: "delivered", at: "2020-01-01T00:00:00Z" })).status).toBe(200);
    const row = await env.DB.prepare("select status, dispatched_at, delivered_at from sub_orders where id = ?")
      .bind(sub)
      .first<{ status: string; dispatched_at: string; delivered_at: string }>();
    expect(row).toEqual({ status: "delivered", dispatched_at: row!.dispatched_at, delivered_at: row!.dispatched_at });
  });
});

describe("returns", () => {
  it("restocks returnable units to their warehouse, refunds the returned amount once, and closes when all is back", async () => {
    const { skus, order, vendors, subOf } = await paidOrder();
    const sub = subOf(0);
    await step(vendors[0]!, sub, "confirm");
    await step(vendors[0]!, sub, "pack", { scanned: await scansFor(vendors[0]!, sub) });
    await step(vendors[0]!, sub, "dispatch", { carrier: "generic", awb: "TRK-RET-1" });
    const lineId = (await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN })).body.lines[0].id;
    const early = await api("POST", `/v1/sub-orders/${sub}/return`, {
      token: ADMIN,
      body: { lines: [{ lineId, qty: 1, restockable: true }], reason: "damaged box" },
      headers: { "Idempotency-Key": "early" },
    });
    expect(early.status).toBe(409);
    expect(early.body.allowed).toEqual(["deliver", "undelivered", "milestone"]);
    await step(vendors[0]!, sub, "deliver");
    const ret = (key: string, qty: number, restockable: boolean) =>
      api("POST", `/v1/sub-orders/${sub}/return`, {
        token: vendors[0]!,
        body: { lines: [{ lineId, qty, restockable }], reason: "changed mind" },
        headers: { "Idempotency-Key": key },
      });
    expect(
      (
        await api("POST", `/v1/sub-orders/${sub}/return`, {
          token: ADMIN,
          body: { lines: [{ lineId, qty: 1, restockable: true }], reason: "x" },
        })
      ).status,
    ).toBe(400);
    const first = await ret("r1", 1, true);
    expect(first.status).toBe(200);
    expect(first.body.status).toBe("delivered");
    expect((await ret("r1", 1, true)).status).toBe(200);
    expect((await stockOf(skus[0]!.skuId)).totals).toMatchObject({ onHand: 9, available: 9 });
    expect((await ret("r2", 5, false)).status).toBe(422);
    const last = await ret("r3", 1, false);
    expect(last.body.status).toBe("returned");
    expect((await stockOf(skus[0]!.skuId)).totals).toMatchObject({ onHand: 9 });
    const money = await env.DB.prepare(
      "select (select count(*) from refunds where sub_order_id = ?1) as refunds, (select sum(amount_minor) from credit_notes where sub_order_id = ?1) as credited",
    )
      .bind(sub)
      .first();
    expect(money).toEqual({ refunds: 2, credited: 20_000 });
    expect((await api("GET", `/v1/orders/${order.id}`, { token: ADMIN })).body.paymentStatus).toBe(
      "partially_refunded",
    );
  });
});
