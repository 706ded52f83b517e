import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cancelExpiredOrder } from "../../src/cancellation/order-cancellation";
import { systemActor } from "../../src/domain/principal";
import { applyPaymentOutcome } from "../../src/payment-outcome/payment-outcome";
import { ADMIN, api, newCustomer, uid } from "../support/api";
import { stockCalls } from "../support/bindings";
import {
  BENGALURU,
  checkout,
  DELHI,
  expectStockEquation,
  MUMBAI,
  pay,
  stockedSku,
  stockOf,
} from "../support/marketplace";

const stub = (skuId: string) => env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId));

/** Lets the stock object's alarm release a hold now, as if its 15 minutes had passed. */
async function expireInObject(skuId: string, holdId: string) {
  await runInDurableObject(stub(skuId), (_instance, state) => {
    state.storage.sql.exec("update holds set expires_at = 0 where hold_id = ? and status = 'held'", holdId);
  });
  await runDurableObjectAlarm(stub(skuId));
}

async function holdIdOf(orderId: string) {
  const row = await env.DB.prepare("select hold_id as h from orders where id = ?").bind(orderId).first<{ h: string }>();
  return row!.h;
}

const runJob = (name: string, now: Date) =>
  api("POST", `/v1/admin/jobs/${name}/run`, { token: ADMIN, body: { now: now.toISOString() } });

describe("holds that expire", () => {
  it("returns abandoned holds through the alarm when no order was ever written", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 4 }] });
    const held = await stub(s.skuId).reserve({
      skuId: s.skuId,
      holdId: uid("hold_"),
      qty: 3,
      warehouses: s.warehouseIds,
      expiresAt: Date.now() - 1,
    });
    expect(held.ok).toBe(true);
    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 3, available: 1 });
    await runDurableObjectAlarm(stub(s.skuId));
    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 0, available: 4 });
  });

  it("cancels an unpaid order past its hold, payment first, and releases its stock", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 4 }] });
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }]);
    expect(r.status).toBe(201);
    const early = await runJob("expire-holds", new Date());
    expect(early.status).toBe(200);
    const later = await runJob("expire-holds", new Date(Date.now() + 16 * 60_000));
    expect(later.body.result.cancelled).toBeGreaterThanOrEqual(1);
    const order = await api("GET", `/v1/orders/${r.body.order.id}`, { token: shopper.token });
    expect(order.body.status).toBe("cancelled");
    expect(order.body.subOrders[0].cancellationReason).toBe("hold_expired");
    expect(order.body.timeline.at(-1)).toMatchObject({
      type: "order.cancelled",
      reason: "hold_expired",
      actor: { role: "system" },
    });
    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 0, available: 4 });
    const late = await pay(shopper.token, r.body.payment.id);
    expect(late.status).toBe(409);
    const again = await runJob("expire-holds", new Date(Date.now() + 17 * 60_000));
    expect(again.status).toBe(200);
    await expectStockEquation(s.skuId);
  });

  it("cancels an order whose hold ends on the very second the job runs", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 4 }] });
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    // The cron's clock is on the minute, with milliseconds: 10:00:00.000Z for a hold ending at 10:00:00Z.
    const at = new Date(Math.ceil((Date.now() + 16 * 60_000) / 60_000) * 60_000);
    await env.DB.prepare("update orders set hold_expires_at = ? where id = ?")
      .bind(at.toISOString().replace(".000Z", "Z"), r.body.order.id)
      .run();
    expect((await runJob("expire-holds", at)).status).toBe(200);
    const order = await api("GET", `/v1/orders/${r.body.order.id}`, { token: shopper.token });
    expect(order.body.status).toBe("cancelled");
  });

  it("leaves alone an order paid after the job read it as unpaid", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 4 }] });
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }]);
    // Its payment's webhook lands between the job's scan and its cancel.
    expect((await pay(shopper.token, r.body.payment.id)).body.status).toBe("paid");
    const outcome = await cancelExpiredOrder(env, undefined, {
      orderId: r.body.order.id,
      reason: "hold_expired",
      actor: systemActor("expire-holds"),
      now: new Date(Date.now() + 16 * 60_000),
    });
    expect(outcome).toEqual({ ok: true, orderId: r.body.order.id, changed: false });
    const order = await api("GET", `/v1/orders/${r.body.order.id}`, { token: shopper.token });
    expect(order.body.status).toBe("paid");
    expect(order.body.paymentStatus).toBe("paid");
    expect((await stockOf(s.skuId)).totals).toMatchObject({ committed: 2, available: 2 });
  });

  it("confirms instead of cancelling when the payment already succeeded", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 4 }] });
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    // The provider took the money, but its confirmation has not been applied yet.
    await env.DB.prepare("update payments set status = 'succeeded' where id = ?").bind(r.body.payment.id).run();
    const job = await runJob("expire-holds", new Date(Date.now() + 16 * 60_000));
    expect(job.body.result.confirmed).toBeGreaterThanOrEqual(1);
    const order = await api("GET", `/v1/orders/${r.body.order.id}`, { token: shopper.token });
    expect(order.body.status).toBe("paid");
    expect((await stockOf(s.skuId)).totals).toMatchObject({ committed: 1, available: 3 });
  });

  it("re-reserves the same stock for a payment that lands after the hold expired", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 4 }] });
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }]);
    await expireInObject(s.skuId, await holdIdOf(r.body.order.id));
    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 0, available: 4 });
    const paid = await pay(shopper.token, r.body.payment.id);
    expect(paid.body.status).toBe("paid");
    expect(paid.body.subOrders[0].lines[0].warehouseId).toBe(s.warehouseIds[0]);
    expect((await stockOf(s.skuId)).totals).toMatchObject({ committed: 2, available: 2 });
    await expectStockEquation(s.skuId);
  });

  it("counts a late payment's re-reserved units against its shopper's caps", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 4 }] });
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }]);
    const holdId = await holdIdOf(r.body.order.id);
    await expireInObject(s.skuId, holdId);
    expect((await pay(shopper.token, r.body.payment.id)).body.status).toBe("paid");
    expect((await stub(s.skuId).holdsOf(holdId)).map((h) => [h.status, h.customerId])).toEqual([
      ["committed", shopper.customerId],
    ]);
  });

  it("re-reserves a late payment in an open warehouse when its own closed meanwhile", async () => {
    const s = await stockedSku({
      warehouses: [
        { at: BENGALURU, onHand: 5 },
        { at: DELHI, onHand: 5 },
      ],
    });
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }]);
    expect(r.body.order.subOrders[0].lines[0].warehouseId).toBe(s.warehouseIds[0]);
    await expireInObject(s.skuId, await holdIdOf(r.body.order.id));
    const closed = await api("PATCH", `/v1/warehouses/${s.warehouseIds[0]}`, {
      token: ADMIN,
      body: { status: "inactive" },
    });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    const paid = await pay(shopper.token, r.body.payment.id);
    expect(paid.body.status).toBe("paid");
    expect(paid.body.subOrders[0].lines.map((l: any) => [l.warehouseId, l.qty])).toEqual([[s.warehouseIds[1], 2]]);
    await expectStockEquation(s.skuId);
  });

  it("keeps a late payment's units when the webhook and the expiry job's check apply it at once", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 4 }] });
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }]);
    await expireInObject(s.skuId, await holdIdOf(r.body.order.id));
    // The job's check finds the hold lapsed, then waits to re-reserve while the webhook secures it whole.
    let checked!: () => void;
    const commitTried = new Promise<void>((resolve) => {
      checked = resolve;
    });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const job = applyPaymentOutcome(
      stockCalls({
        commit:
          (call) =>
          async (...args) => {
            const result = await call(...args);
            checked();
            return result;
          },
        reserve:
          (call) =>
          async (...args) =>
            gate.then(() => call(...args)),
        reserveMany:
          (call) =>
          async (...args) =>
            gate.then(() => call(...args)),
      }),
      {
        paymentId: r.body.payment.id,
        outcome: "succeeded",
        eventId: `sync:${r.body.payment.id}:succeeded`,
        at: new Date(),
        actor: systemActor("expire-holds"),
      },
    );
    await commitTried;
    expect((await pay(shopper.token, r.body.payment.id)).body.status).toBe("paid");
    open();
    expect(await job).toMatchObject({ ok: true });
    const order = await api("GET", `/v1/orders/${r.body.order.id}`, { token: shopper.token });
    expect(order.body.status).toBe("paid");
    expect((await stockOf(s.skuId)).totals).toMatchObject({ committed: 2, available: 2 });
    await expectStockEquation(s.skuId);
  });

  it("moves a late payment to another warehouse of the same vendor when its own is gone", async () => {
    const s = await stockedSku({
      warehouses: [
        { at: BENGALURU, onHand: 2 },
        { at: DELHI, onHand: 5 },
      ],
    });
    const late = await newCustomer();
    const r = await checkout(late.token, [{ skuId: s.skuId, qty: 2 }]);
    expect(r.body.order.subOrders[0].lines[0].warehouseId).toBe(s.warehouseIds[0]);
    await expireInObject(s.skuId, await holdIdOf(r.body.order.id));
    const rival = await newCustomer();
    const taken = await checkout(rival.token, [{ skuId: s.skuId, qty: 2 }]);
    expect(taken.body.order.subOrders[0].lines[0].warehouseId).toBe(s.warehouseIds[0]);
    const paid = await pay(late.token, r.body.payment.id);
    expect(paid.body.status).toBe("paid");
    expect(paid.body.subOrders[0].lines.map((l: any) => [l.warehouseId, l.qty])).toEqual([[s.warehouseIds[1], 2]]);
    expect(paid.body.subOrders[0].total.amountMinor).toBe(r.body.order.subOrders[0].total.amountMinor);
    await expectStockEquation(s.skuId);
  });

  it("refunds a late payment in full and cancels when the stock is gone", async () => {
    const a = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const s = await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 1 }] });
    const late = await newCustomer();
    const r = await checkout(late.token, [
      { skuId: a.skuId, qty: 1 },
      { skuId: s.skuId, qty: 1 },
    ]);
    await expireInObject(s.skuId, await holdIdOf(r.body.order.id));
    const rival = await newCustomer();
    expect((await checkout(rival.token, [{ skuId: s.skuId, qty: 1 }])).status).toBe(201);
    const paid = await pay(late.token, r.body.payment.id);
    expect(paid.status).toBe(200);
    expect(paid.body.status).toBe("cancelled");
    expect(paid.body.paymentStatus).toBe("refunded");
    for (const sub of paid.body.subOrders) expect(sub.cancellationReason).toBe("late_payment_refunded");
    const refund = await env.DB.prepare("select sum(amount_minor) as n from refunds where order_id = ?")
      .bind(r.body.order.id)
      .first<{ n: number }>();
    expect(refund?.n).toBe(r.body.order.total.amountMinor);
    // Nothing of the refunded order is kept anywhere: the other SKU's hold went back too.
    expect((await stockOf(a.skuId)).totals).toMatchObject({ held: 0, committed: 0, available: 5 });
    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 1, committed: 0, available: 0 });
    const repeat = await pay(late.token, r.body.payment.id);
    expect(repeat.body.paymentStatus).toBe("refunded");
    const again = await env.DB.prepare("select count(*) as n from refunds where order_id = ?")
      .bind(r.body.order.id)
      .first<{ n: number }>();
    expect(again?.n).toBe(1);
  });
});
