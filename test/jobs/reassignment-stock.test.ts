import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cancelOrder } from "../../src/cancellation/order-cancellation";
import { cancelSubOrder } from "../../src/cancellation/sub-order-cancellation";
import { reassignSubOrder } from "../../src/reassignment/reassign";
import { followUpStockMoves } from "../../src/reassignment/stock-follow-up";
import { setReview } from "../../src/review/review";
import { east, holdsOf, order, reassignableMarket } from "../http/routing.fixtures";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { lost, stockCalls } from "../support/bindings";
import { BENGALURU, expectStockEquation, opsMoveTo, pay, stockedSku, stockOf } from "../support/marketplace";

const runJob = (now: Date) =>
  api("POST", "/v1/admin/jobs/reassignment-stock/run", { token: ADMIN, body: { now: now.toISOString() } });

const minutesLater = (m: number) => new Date(Date.now() + m * 60_000);

/**
 * The Worker as it is when a stock object cannot be reached mid-move: moving an order's hold fails
 * as a lost connection does, after the D1 claim has landed.
 */
const lostOnMove = () => stockCalls({ reallocate: () => lost });

/**
 * A paid order of 2 units from the nearer of two warehouses; `input` is ops' move of it to the
 * farther, to send (and send again under the same key) as the test needs.
 */
async function paidFromNear() {
  const s = await stockedSku({
    warehouses: [
      { at: east(BENGALURU, 2), onHand: 5 },
      { at: east(BENGALURU, 80), onHand: 5 },
    ],
  });
  const [near, far] = s.warehouseIds as [string, string];
  const shopper = await newCustomer();
  const placed = await order(shopper.token, [{ skuId: s.skuId, qty: 2 }]);
  await pay(shopper.token, placed.body.payment.id);
  const input = {
    subOrderId: placed.body.order.subOrders[0].id as string,
    target: { warehouseId: far },
    reason: "the near warehouse is flooded",
    key: uid("ra-"),
    actor: { role: "ops" as const, id: uid("tok_") },
    now: new Date(),
  };
  return { s, near, far, orderId: placed.body.order.id as string, input };
}

/** `paidFromNear`, moved by ops to the farther warehouse while the move is lost. */
async function moveCutShort() {
  const paid = await paidFromNear();
  await expect(reassignSubOrder(lostOnMove(), undefined, paid.input)).rejects.toThrow("Network connection lost.");
  return paid;
}

/** The set-aside of the move's claim lapses and another shopper's hold takes every unit of `far`. */
async function farSoldMeanwhile(skuId: string, far: string, orderId: string) {
  const stock = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId));
  const holdId = (JSON.parse((await pendingMove(orderId))!) as { setAside: { holdId: string }[] }).setAside[0]!.holdId;
  await stock.release(holdId, "expired");
  const rival = await stock.reserve({
    skuId,
    holdId: uid("hold_"),
    qty: 5,
    warehouses: [far],
    expiresAt: Date.now() + 3_600_000,
  });
  expect(rival.ok).toBe(true);
}

async function levels(skuId: string) {
  return new Map(
    (await stockOf(skuId)).warehouses.map((w) => [w.warehouseId, { held: w.held, committed: w.committed }]),
  );
}

async function pendingMove(orderId: string) {
  const row = await env.DB.prepare("select stock_move as m from reassignments where order_id = ?")
    .bind(orderId)
    .first<{ m: string | null }>();
  return row!.m;
}

describe("a reassignment whose stock move was cut short", () => {
  it("is finished by the job: the order's units end up committed where D1 says, once", async () => {
    const { s, near, far, orderId } = await moveCutShort();
    // D1 already says the line ships from the far warehouse; the stock objects still commit the near one.
    const line = await env.DB.prepare("select warehouse_id as w from line_items where order_id = ?")
      .bind(orderId)
      .first<{ w: string }>();
    expect(line!.w).toBe(far);
    expect((await holdsOf(s.skuId, orderId)).map((h) => [h.warehouseId, h.qty, h.status])).toEqual([
      [near, 2, "committed"],
    ]);
    expect(await pendingMove(orderId)).not.toBeNull();

    // Too young: the request that claimed it may still be moving it.
    expect((await runJob(new Date())).body.result).toMatchObject({ moved: 0 });
    const ran = await runJob(minutesLater(2));
    expect(ran.status).toBe(200);
    expect(ran.body.result.moved).toBeGreaterThanOrEqual(1);

    expect((await holdsOf(s.skuId, orderId)).map((h) => [h.warehouseId, h.qty, h.status])).toEqual([
      [far, 2, "committed"],
    ]);
    const after = await levels(s.skuId);
    expect(after.get(near)).toEqual({ held: 0, committed: 0 });
    // The set-aside units joined the order's hold: nothing is left set aside to lapse back into sale.
    expect(after.get(far)).toEqual({ held: 0, committed: 2 });
    expect(await pendingMove(orderId)).toBeNull();
    await expectStockEquation(s.skuId);

    // Done once: a later run leaves it alone.
    await runJob(minutesLater(3));
    expect((await levels(s.skuId)).get(far)).toEqual({ held: 0, committed: 2 });
  });

  it("tells ops, once, about a move its stock still cannot follow after an hour, and stops repeating it", async () => {
    const { s, far, orderId } = await moveCutShort();
    await farSoldMeanwhile(s.skuId, far, orderId);

    expect((await runJob(minutesLater(2))).body.result).toMatchObject({ moved: 0, abandoned: 0 });
    expect(await pendingMove(orderId)).not.toBeNull();
    expect((await runJob(minutesLater(61))).body.result).toMatchObject({ abandoned: 1 });
    expect(await pendingMove(orderId)).toBeNull();
    const alerts = await env.DB.prepare(
      "select payload from notifications where template = 'reassignment_stock_stuck' and dedupe_key like ?",
    )
      .bind(`%${orderId.replace(/^ord_/, "")}%`)
      .all<{ payload: string }>();
    expect(alerts.results).toHaveLength(1);
    expect(JSON.parse(alerts.results[0]!.payload).params.orderId).toBe(orderId);
    // The rival's units were never taken from it.
    expect((await levels(s.skuId)).get(far)).toEqual({ held: 5, committed: 0 });
    await expectStockEquation(s.skuId);
  });
});

/**
 * Vendor A's paid sub-order of 2 units moved by ops to vendor B's offer while the move is lost: D1
 * has B's new sub-order, the stock objects still commit A's units.
 */
async function movedToAnotherVendor() {
  const { a, b } = await reassignableMarket(10);
  const shopper = await newCustomer();
  const placed = await order(shopper.token, [{ skuId: a.skuId, qty: 2 }]);
  await pay(shopper.token, placed.body.payment.id);
  const orderId = placed.body.order.id as string;
  await expect(
    reassignSubOrder(lostOnMove(), undefined, opsMoveTo(placed.body.order.subOrders[0].id, b.skuId)),
  ).rejects.toThrow("Network connection lost.");
  const moved = await env.DB.prepare("select id from sub_orders where order_id = ? and vendor_id = ?")
    .bind(orderId, b.vendorId)
    .first<{ id: string }>();
  return { a, b, orderId, movedId: moved!.id };
}

/** Nothing held or committed for anyone in any of the SKU's warehouses, and its equation holds. */
async function nothingHeld(skuId: string) {
  const snap = await expectStockEquation(skuId);
  expect(snap.warehouses.map((w) => ({ held: w.held, committed: w.committed }))).toEqual(
    snap.warehouses.map(() => ({ held: 0, committed: 0 })),
  );
}

describe("another reassignment of a sub-order whose earlier move's stock has not followed", () => {
  it("is refused until the job moved that stock, then plans from where the units are", async () => {
    const { s, near, far, orderId, input } = await moveCutShort();
    const again = { ...input, key: uid("ra-"), target: { warehouseId: near } };
    expect(await reassignSubOrder(env, undefined, again)).toMatchObject({ ok: false, code: "CONFLICT" });
    // Nothing moved meanwhile: the order's units are still where its hold had them.
    expect((await levels(s.skuId)).get(near)).toMatchObject({ committed: 2 });

    await runJob(minutesLater(2));
    expect((await levels(s.skuId)).get(far)).toMatchObject({ committed: 2 });
    const back = await reassignSubOrder(env, undefined, { ...again, key: uid("ra-") });
    expect(back.ok).toBe(true);
    expect((await levels(s.skuId)).get(near)).toMatchObject({ committed: 2 });
    expect((await levels(s.skuId)).get(far)).toMatchObject({ committed: 0, held: 0 });
    expect(await pendingMove(orderId)).toBeNull();
    await expectStockEquation(s.skuId);
  });
});

describe("a reassignment sent again under its key after its stock move was cut short", () => {
  const holdsAt = async (skuId: string, orderId: string) =>
    (await holdsOf(skuId, orderId)).map((h) => [h.warehouseId, h.qty, h.status]);

  it("finishes the stock move before answering it as done", async () => {
    const { s, near, far, orderId, input } = await moveCutShort();
    expect(await holdsAt(s.skuId, orderId)).toEqual([[near, 2, "committed"]]);

    expect(await reassignSubOrder(env, undefined, { ...input, now: new Date() })).toEqual({ ok: true, orderId });
    expect(await holdsAt(s.skuId, orderId)).toEqual([[far, 2, "committed"]]);
    const after = await levels(s.skuId);
    expect(after.get(near)).toEqual({ held: 0, committed: 0 });
    expect(after.get(far)).toEqual({ held: 0, committed: 2 });
    expect(await pendingMove(orderId)).toBeNull();
    await expectStockEquation(s.skuId);
  });

  it("is an error, never a 200, while the far warehouse's units are sold to another shopper", async () => {
    const { s, near, far, orderId, input } = await moveCutShort();
    await farSoldMeanwhile(s.skuId, far, orderId);

    await expect(reassignSubOrder(env, undefined, { ...input, now: new Date() })).rejects.toThrow(
      "the stock did not move",
    );
    expect(await holdsAt(s.skuId, orderId)).toEqual([[near, 2, "committed"]]);
    // Still unfinished: the job keeps repeating it, then tells ops.
    expect(await pendingMove(orderId)).not.toBeNull();
    expect((await levels(s.skuId)).get(far)).toEqual({ held: 5, committed: 0 });
    await expectStockEquation(s.skuId);
  });

  it("sent while the first attempt was landing: an error, never a 200, once the far units are sold", async () => {
    const { s, near, far, orderId, input } = await paidFromNear();
    let first = false;
    // The duplicate has read the order; the first attempt lands, its stock move is lost, and the
    // far units sell before the duplicate sets them aside.
    const firstLandsOnReserve = stockCalls({
      reserve:
        (reserve) =>
        async (...args) => {
          if (!first) {
            first = true;
            await expect(reassignSubOrder(lostOnMove(), undefined, input)).rejects.toThrow("Network connection lost.");
            await farSoldMeanwhile(s.skuId, far, orderId);
          }
          return reserve(...args);
        },
    });
    await expect(reassignSubOrder(firstLandsOnReserve, undefined, input)).rejects.toThrow("the stock did not move");
    expect(first).toBe(true);
    expect(await holdsAt(s.skuId, orderId)).toEqual([[near, 2, "committed"]]);
    expect(await pendingMove(orderId)).not.toBeNull();
    await expectStockEquation(s.skuId);
  });
});

describe("a cancel of the sub-order a reassignment moves units into", () => {
  it("before the move's stock followed: the job's units go back to stock", async () => {
    const { a, b, movedId } = await movedToAnotherVendor();
    const vendorB = await tokenFor("vendor", { vendorId: b.vendorId });
    const cancelled = await api("POST", `/v1/sub-orders/${movedId}/cancel`, {
      token: vendorB,
      body: { reason: "cannot source it" },
    });
    expect(cancelled.status).toBe(200);
    expect((await runJob(minutesLater(2))).body.result.moved).toBeGreaterThanOrEqual(1);
    await nothingHeld(a.skuId);
    await nothingHeld(b.skuId);
  });

  it("with the move landing between the cancel's release and its write: the cancel gives them back", async () => {
    const { a, b, movedId } = await movedToAnotherVendor();
    let moved = false;
    // Right after the cancel's release (of nothing: the move has not reached B's object), the job moves the units in.
    const moveAfterRelease = stockCalls({
      release:
        (release) =>
        async (...args) => {
          const r = await release(...args);
          if (!moved) {
            moved = true;
            expect((await followUpStockMoves(env, minutesLater(2))).moved).toBeGreaterThanOrEqual(1);
          }
          return r;
        },
    });
    const outcome = await cancelSubOrder(moveAfterRelease, undefined, {
      subOrderId: movedId,
      reason: "cannot source it",
      actor: { role: "vendor", id: b.vendorId },
      now: new Date(),
    });
    expect(outcome).toMatchObject({ ok: true, changed: true });
    expect(moved).toBe(true);
    await nothingHeld(a.skuId);
    await nothingHeld(b.skuId);
  });
});

describe("a whole-order cancel racing a reassignment of its only sub-order to another vendor", () => {
  it("cancels the sub-order the move made too, refunds the whole payment, and says so once", async () => {
    const { a, b } = await reassignableMarket(10);
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ skuId: a.skuId, qty: 2 }]);
    await pay(shopper.token, placed.body.payment.id);
    const orderId = placed.body.order.id as string;
    let reassigned = false;
    // Right after the cancel released A's units, ops' move of the sub-order to B lands whole.
    const moveAfterRelease = stockCalls({
      release:
        (release) =>
        async (...args) => {
          const r = await release(...args);
          if (!reassigned) {
            reassigned = true;
            const moved = await reassignSubOrder(env, undefined, opsMoveTo(placed.body.order.subOrders[0].id, b.skuId));
            expect(moved.ok).toBe(true);
          }
          return r;
        },
    });
    const outcome = await cancelOrder(moveAfterRelease, undefined, {
      orderId,
      reason: "changed my mind",
      actor: { role: "customer", id: shopper.customerId },
      now: new Date(),
    });
    expect(outcome).toMatchObject({ ok: true, changed: true });
    expect(reassigned).toBe(true);

    const after = await api("GET", `/v1/orders/${orderId}`, { token: shopper.token });
    expect(after.body.status).toBe("cancelled");
    const subs = await env.DB.prepare("select vendor_id as v, status from sub_orders where order_id = ?")
      .bind(orderId)
      .all<{ v: string; status: string }>();
    expect(subs.results.map((s) => [s.v, s.status]).sort()).toEqual(
      [
        [a.vendorId, "cancelled"],
        [b.vendorId, "cancelled"],
      ].sort(),
    );
    const refunded = await env.DB.prepare(
      "select refunded_minor as r, amount_minor as a from payments where order_id = ?",
    )
      .bind(orderId)
      .first<{ r: number; a: number }>();
    expect(refunded!.r).toBe(refunded!.a);
    const told = await env.DB.prepare("select payload from outbox where dedupe_key = ?")
      .bind(`order.cancelled:${orderId}`)
      .all<{ payload: string }>();
    expect(told.results.map((m) => JSON.parse(m.payload).refundedMinor)).toEqual([refunded!.a]);
    await nothingHeld(a.skuId);
    await nothingHeld(b.skuId);
  });
});

describe("a reassignment of an order held for review", () => {
  async function heldPaidOrder() {
    const market = await reassignableMarket(10);
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ skuId: market.a.skuId, qty: 2 }]);
    const orderId = placed.body.order.id as string;
    const ops = await tokenFor("ops");
    expect((await api("POST", `/v1/orders/${orderId}/flag`, { token: ops, body: { note: "check it" } })).status).toBe(
      200,
    );
    await pay(shopper.token, placed.body.payment.id);
    return { ...market, orderId, subId: placed.body.order.subOrders[0].id as string };
  }
  const deadlineOf = async (orderId: string, vendorId: string) =>
    (await env.DB.prepare("select sla_dispatch_by as d from sub_orders where order_id = ? and vendor_id = ?")
      .bind(orderId, vendorId)
      .first<{ d: string | null }>())!.d;
  const approve = (orderId: string, now: Date) =>
    setReview(env, undefined, { orderId, hold: false, note: null, actor: { role: "ops", id: "ops-reviewer" }, now });
  const move = (e: Env, subOrderId: string, skuId: string) =>
    reassignSubOrder(e, undefined, {
      subOrderId,
      target: { skuId },
      reason: "vendor A cannot ship it",
      key: uid("ra-"),
      actor: { role: "ops", id: uid("tok_") },
      now: new Date(),
    });

  it("leaves the new sub-order's clock to the approval, which starts it", async () => {
    const { b, orderId, subId } = await heldPaidOrder();
    expect((await move(env, subId, b.skuId)).ok).toBe(true);
    expect(await deadlineOf(orderId, b.vendorId)).toBeNull();
    await approve(orderId, new Date());
    expect(await deadlineOf(orderId, b.vendorId)).not.toBeNull();
  });

  it("starts the new sub-order's clock when the approval landed between the move's read and its write", async () => {
    const { b, orderId, subId } = await heldPaidOrder();
    let approved = false;
    // The move has read the order held; the approval lands as it sets the target's units aside.
    const approvingOnReserve = stockCalls({
      reserve:
        (reserve) =>
        async (...args) => {
          if (!approved) {
            approved = true;
            expect(await approve(orderId, new Date())).toEqual({ ok: true, changed: true });
          }
          return reserve(...args);
        },
    });
    expect((await move(approvingOnReserve, subId, b.skuId)).ok).toBe(true);
    expect(approved).toBe(true);
    expect(await deadlineOf(orderId, b.vendorId)).not.toBeNull();
  });
});
