import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";

type Action = "confirm" | "pack" | "dispatch" | "deliver" | "undelivered" | "cancel" | "milestone";
const actions: Action[] = ["confirm", "pack", "dispatch", "deliver", "undelivered", "cancel", "milestone"];

/** Everything a refused step must leave as it was: the row, its timeline, its outbox, the parent. */
async function snapshot(sub: string) {
  return env.DB.prepare(
    `select s.status, s.updated_at, s.confirmed_at, s.packed_at, s.dispatched_at, s.delivered_at, s.cancelled_at,
       s.cancellation_reason, s.carrier, s.awb, o.status as parent, o.payment_status, o.updated_at as parent_updated,
       (select count(*) from order_events where sub_order_id = s.id) as events,
       (select count(*) from outbox where dedupe_key like '%' || s.id || '%') as outbox,
       (select count(*) from refunds where sub_order_id = s.id) as refunds
     from sub_orders s join orders o on o.id = s.order_id where s.id = ?`,
  )
    .bind(sub)
    .first();
}

// An AWB names one shipment, so each order of this file dispatches under its own.
let awbs = 500_123_456;

async function order(paid: boolean) {
  const awb = String(awbs++);
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
  const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }]);
  const body = paid ? (await pay(shopper.token, placed.body.payment.id)).body : placed.body.order;
  const sub = body.subOrders[0].id as string;
  const barcode = (await api("GET", `/v1/sub-orders/${sub}`, { token: vendor })).body.lines[0].barcode;
  const attempt = (a: Action) =>
    api("POST", `/v1/sub-orders/${sub}/${a}`, {
      token: vendor,
      body: {
        pack: { scanned: [barcode, barcode] },
        dispatch: { carrier: "trackon", awb },
        cancel: { reason: "cannot fulfil" },
        undelivered: { outcome: "lost_in_transit" },
        milestone: { type: "delivery_attempted" },
      }[a as string],
    });
  return { sub, attempt };
}

/** Tries every step that is neither allowed nor a repeat from where the sub-order is. */
async function expectRefusals(
  o: { sub: string; attempt: (a: Action) => Promise<{ status: number; body: any }> },
  allowed: string[],
  repeat?: Action,
) {
  const before = await snapshot(o.sub);
  for (const a of actions.filter((x) => !allowed.includes(x) && x !== repeat)) {
    const r = await o.attempt(a);
    expect(r.status, `${before?.status} -> ${a}`).toBe(409);
    expect(r.body).toMatchObject({ code: "ILLEGAL_TRANSITION", allowed });
  }
  if (repeat) {
    const r = await o.attempt(repeat);
    expect(r.status, `${before?.status} -> ${repeat} again`).toBe(200);
    expect(r.body.status).toBe(before?.status);
  }
  expect(await snapshot(o.sub)).toEqual(before);
}

describe("illegal sub-order transitions", () => {
  it("are refused from every status with the allowed steps, and change nothing", async () => {
    const o = await order(true);
    await expectRefusals(o, ["confirm", "cancel"]);
    expect((await o.attempt("confirm")).status).toBe(200);
    await expectRefusals(o, ["pack", "cancel"], "confirm");
    expect((await o.attempt("pack")).status).toBe(200);
    await expectRefusals(o, ["dispatch", "cancel"], "pack");
    expect((await o.attempt("dispatch")).status).toBe(200);
    await expectRefusals(o, ["deliver", "undelivered", "milestone"], "dispatch");
    expect((await o.attempt("deliver")).status).toBe(200);
    await expectRefusals(o, ["return"], "deliver");

    const cancelled = await order(true);
    expect((await cancelled.attempt("cancel")).status).toBe(200);
    await expectRefusals(cancelled, [], "cancel");
  });

  it("leaves an unpaid sub-order to its whole order", async () => {
    const o = await order(false);
    await expectRefusals(o, []);
    const r = await o.attempt("cancel");
    expect(r.body.detail).toMatch(/cancelled as a whole/);
  });

  it("answers a sub-order that was returned in full with nothing allowed", async () => {
    const o = await order(true);
    for (const a of ["confirm", "pack", "dispatch", "deliver"] as const) await o.attempt(a);
    const lineId = (await api("GET", `/v1/sub-orders/${o.sub}`, { token: ADMIN })).body.lines[0].id;
    const back = await api("POST", `/v1/sub-orders/${o.sub}/return`, {
      token: ADMIN,
      body: { lines: [{ lineId, qty: 2, restockable: false }], reason: "never opened" },
      headers: { "Idempotency-Key": `full-${o.sub}` },
    });
    expect(back.body.status).toBe("returned");
    await expectRefusals(o, []);
  });
});

describe("a step taken again after a reassignment sent the sub-order back", () => {
  it("is recorded again: its own timeline event and outbox row", async () => {
    const s = await stockedSku({
      warehouses: [
        { at: BENGALURU, onHand: 5 },
        { at: { lat: BENGALURU.lat, lng: BENGALURU.lng + 0.8 }, onHand: 5 },
      ],
    });
    const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    const sub = (await pay(shopper.token, placed.body.payment.id)).body.subOrders[0].id as string;
    expect((await api("POST", `/v1/sub-orders/${sub}/confirm`, { token: vendor })).body.status).toBe("confirmed");
    const other = s.warehouseIds.find((w) => w !== placed.body.order.subOrders[0].lines[0].warehouseId)!;
    const moved = await api("POST", `/v1/sub-orders/${sub}/reassign`, {
      token: await tokenFor("ops"),
      headers: { "Idempotency-Key": uid("ra-") },
      body: { target: { warehouseId: other }, reason: "flooded" },
    });
    expect(moved.status).toBe(200);
    expect(moved.body.subOrders[0].status).toBe("paid");

    const again = await api("POST", `/v1/sub-orders/${sub}/confirm`, { token: vendor });
    expect(again.body.status).toBe("confirmed");
    const confirmations = again.body.timeline.filter((e: { type: string }) => e.type === "sub_order.confirmed");
    expect(confirmations).toHaveLength(2);
    const outbox = await env.DB.prepare(
      "select count(*) as n from outbox where type = 'sub_order.confirmed' and payload ->> 'subOrderId' = ?",
    )
      .bind(sub)
      .first<{ n: number }>();
    expect(outbox?.n).toBe(2);
    // Repeating it now is still a repeat: nothing more is recorded.
    const before = await snapshot(sub);
    expect((await api("POST", `/v1/sub-orders/${sub}/confirm`, { token: vendor })).status).toBe(200);
    expect(await snapshot(sub)).toEqual(before);
  });
});
