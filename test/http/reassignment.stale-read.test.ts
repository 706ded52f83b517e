import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { journalsOfOrder } from "../../src/db/ledger";
import { loadSubject } from "../../src/reassignment/load";
import { identify } from "../../src/reassignment/persist";
import { type ReassignInput, reassignLoadedSubOrder, reassignSubOrder } from "../../src/reassignment/reassign";
import { setReview } from "../../src/review/review";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { newProduct, newSku } from "../support/catalog";
import { BENGALURU, expectStockEquation, pay } from "../support/marketplace";
import { east, offer, order, paidReassignableOrder, reassignableMarket } from "./routing.fixtures";

/**
 * The losing order of reassignment.race.test.ts, forced: the reassignment reads the sub-order, then
 * the vendor's cancel lands and its refund posts to the ledger, then the reassignment goes on with
 * what it read. It must answer a conflict and leave everything as the cancel left it.
 */

const ON_HAND = 10;

/** A paid order of 2 units of `a`, from its nearer warehouse; `target` is its other. */
async function paidForTwo() {
  const { a, sub } = await paidReassignableOrder(ON_HAND, 2);
  return { a, sub, target: a.warehouseIds[1]! };
}

/** A move of the whole sub-order by ops, and the sub-order as the move reads it before going on. */
async function readForMove(subOrderId: string, target: ReassignInput["target"]) {
  const input: ReassignInput = {
    subOrderId,
    target,
    reason: "stale read",
    key: uid("ra-"),
    actor: { role: "ops", id: null },
    now: new Date(),
  };
  const read = await loadSubject(env, input);
  if (!read.ok) throw new Error(`the paid sub-order should be movable: ${JSON.stringify(read)}`);
  return { input, read };
}

async function cancelledUnderAStaleRead(target: "warehouse" | "vendor") {
  const { a, b, orderId, sub } = await paidReassignableOrder(ON_HAND, 2);

  const { input, read } = await readForMove(
    sub.id,
    target === "warehouse" ? { warehouseId: a.warehouseIds[1]! } : { skuId: b.skuId },
  );

  const vendorA = await tokenFor("vendor", { vendorId: a.vendorId });
  const cancelled = await api("POST", `/v1/sub-orders/${sub.id}/cancel`, {
    token: vendorA,
    body: { reason: "cannot source it" },
  });
  expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
  const kinds = async () => (await journalsOfOrder(database(env), orderId)).map((j) => j.kind);
  expect(await kinds()).toEqual(["payment_captured", "refund"]);

  const outcome = await reassignLoadedSubOrder(env, undefined, read.subject, input);
  return { a, b, orderId, sub, outcome, kinds };
}

describe("a reassignment that read the sub-order before its cancel and refund landed", () => {
  for (const target of ["warehouse", "vendor"] as const) {
    it(`is refused as ILLEGAL_TRANSITION (the route's 409) and changes nothing (a move to another ${target})`, async () => {
      const { a, b, orderId, sub, outcome, kinds } = await cancelledUnderAStaleRead(target);
      expect(outcome).toEqual({
        ok: false,
        code: "ILLEGAL_TRANSITION",
        detail: `Sub-order ${sub.id} is cancelled now: it changed while the move was being prepared; nothing was moved`,
        allowed: [],
      });

      // No move, no journal, no timeline entry: the rows are as the cancel left them.
      expect(await kinds()).toEqual(["payment_captured", "refund"]);
      const rows = await env.DB.prepare(
        `select (select count(*) from reassignments where order_id = ?1) as moves,
                (select count(*) from sub_orders where order_id = ?1) as subs,
                (select status from sub_orders where id = ?2) as status,
                (select count(*) from order_events where order_id = ?1 and type like 'sub_order.reassigned%') as events`,
      )
        .bind(orderId, sub.id)
        .first();
      expect(rows).toEqual({ moves: 0, subs: 1, status: "cancelled", events: 0 });
      const lines = await env.DB.prepare("select warehouse_id as w, qty from line_items where sub_order_id = ?")
        .bind(sub.id)
        .all();
      expect(lines.results).toEqual([{ w: a.warehouseIds[0], qty: 2 }]);

      // The units the move set aside went back, and the cancel released the order's own.
      for (const skuId of [a.skuId, b.skuId]) {
        const snap = await expectStockEquation(skuId);
        for (const w of snap.warehouses) {
          expect({ skuId, w: w.warehouseId, available: w.available }).toEqual({
            skuId,
            w: w.warehouseId,
            available: ON_HAND,
          });
        }
      }
    });
  }
});

describe("a reassignment that read the order before something else changed it", () => {
  it("keeps the SLA clock an approval restarted meanwhile, so a long review does not end in a cancel", async () => {
    const { a } = await reassignableMarket(ON_HAND);
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ skuId: a.skuId, qty: 1 }]);
    expect((await pay(shopper.token, placed.body.payment.id)).body.status).toBe("paid");
    const orderId = placed.body.order.id as string;
    const sub = placed.body.order.subOrders[0];
    const ops = await tokenFor("ops");
    expect((await api("POST", `/v1/orders/${orderId}/flag`, { token: ops, body: { note: "check" } })).status).toBe(200);
    const clock = () =>
      env.DB.prepare("select sla_dispatch_by as due, status from sub_orders where id = ?")
        .bind(sub.id)
        .first<{ due: string | null; status: string }>();
    const paidClock = (await clock())!.due;

    // The move reads the held sub-order and its payment-time clock; then ops approve the order, hours later.
    const { input, read } = await readForMove(sub.id, { warehouseId: a.warehouseIds[1]! });
    const approved = await setReview(env, undefined, {
      orderId,
      hold: false,
      note: null,
      actor: { role: "ops", id: "ops-reviewer" },
      now: new Date(Date.now() + 2 * 3_600_000),
    });
    expect(approved).toEqual({ ok: true, changed: true });
    const started = (await clock())!.due;
    expect(Date.parse(started!) - Date.parse(paidClock!)).toBeGreaterThanOrEqual(2 * 3_600_000 - 2_000);

    // The move's own clock runs from an hour after the payment, before the approval's two: it would
    // push the deadline it read, but not past the approval's.
    const outcome = await reassignLoadedSubOrder(env, undefined, read.subject, {
      ...input,
      now: new Date(Date.now() + 3_600_000),
    });
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    expect(await clock()).toEqual({ due: started, status: "paid" });
  });

  it("derives the order's status from every sub-order as the move lands, not as it read them", async () => {
    const { a, b } = await reassignableMarket(ON_HAND);
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [
      { skuId: a.skuId, qty: 1 },
      { skuId: b.skuId, qty: 1 },
    ]);
    expect((await pay(shopper.token, placed.body.payment.id)).body.status).toBe("paid");
    const orderId = placed.body.order.id as string;
    const subOf = (vendorId: string) => placed.body.order.subOrders.find((s: any) => s.vendorId === vendorId);
    const { input, read } = await readForMove(subOf(a.vendorId).id, { warehouseId: a.warehouseIds[1]! });
    // B's vendor cancels its part while the move is being prepared.
    const vendorB = await tokenFor("vendor", { vendorId: b.vendorId });
    const cancelled = await api("POST", `/v1/sub-orders/${subOf(b.vendorId).id}/cancel`, {
      token: vendorB,
      body: { reason: "cannot source it" },
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);

    const outcome = await reassignLoadedSubOrder(env, undefined, read.subject, input);
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    const status = await env.DB.prepare("select status from orders where id = ?")
      .bind(orderId)
      .first<{ status: string }>();
    expect(status!.status).toBe("partially_cancelled");
  });

  it("is refused when another move of the order landed between its read and its claim", async () => {
    // Vendor A sells L (1000) and K (500); Y sells L's item and Z sells K's, both nearer.
    const [productL, productK] = [await newProduct(), await newProduct()];
    const a = await offer({
      productId: productL.id,
      priceMinor: 1000,
      warehouses: [{ at: east(BENGALURU, 2), onHand: 5 }],
    });
    const skuK = await newSku(a.vendorId, productK.id, { price: { amountMinor: 500, currency: "INR" } });
    const stocked = await api("PUT", `/v1/skus/${skuK.id}/stock`, {
      token: ADMIN,
      body: { warehouseId: a.warehouseIds[0], onHand: 5, reason: "count" },
    });
    expect(stocked.status).toBe(200);
    const y = await offer({
      productId: productL.id,
      barcode: a.barcode,
      warehouses: [{ at: east(BENGALURU, 1), onHand: 5 }],
    });
    const z = await offer({
      productId: productK.id,
      barcode: skuK.barcode,
      warehouses: [{ at: east(BENGALURU, 1), onHand: 5 }],
    });
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [
      { skuId: a.skuId, qty: 1 },
      { skuId: skuK.id, qty: 1 },
    ]);
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect((await pay(shopper.token, placed.body.payment.id)).body.status).toBe("paid");
    const orderId = placed.body.order.id as string;
    const s1 = placed.body.order.subOrders[0];
    const lineOf = (skuId: string) => s1.lines.find((l: any) => l.skuId === skuId).id as string;

    // Move A (K to Z) reads S1; move B (L to Y) lands; then A goes on with what it read.
    const input: ReassignInput = {
      subOrderId: s1.id,
      lines: [{ lineId: lineOf(skuK.id) }],
      target: { vendorId: z.vendorId },
      reason: "K to Z",
      key: uid("ra-"),
      actor: { role: "ops", id: null },
      now: new Date(),
    };
    const read = await loadSubject(env, input);
    if (!read.ok) throw new Error(JSON.stringify(read));
    const ops = await tokenFor("ops");
    const moveB = await api("POST", `/v1/sub-orders/${s1.id}/reassign`, {
      token: ops,
      body: { lines: [{ lineId: lineOf(a.skuId) }], target: { vendorId: y.vendorId }, reason: "L to Y" },
      headers: { "Idempotency-Key": uid("ra-") },
    });
    expect(moveB.status, JSON.stringify(moveB.body)).toBe(200);

    const outcome = await reassignLoadedSubOrder(env, undefined, read.subject, input);
    expect(outcome).toMatchObject({ ok: false, code: "ILLEGAL_TRANSITION" });
    expect((outcome as { detail: string }).detail).toContain("changed meanwhile");
    const moves = await env.DB.prepare("select count(*) as n from reassignments where order_id = ?")
      .bind(orderId)
      .first<{ n: number }>();
    expect(moves!.n).toBe(1);
    const s1After = await env.DB.prepare(
      `select s.subtotal_minor as subtotal, s.status,
              (select coalesce(sum(line_total_minor), 0) from line_items where sub_order_id = s.id) as lines,
              (select group_concat(sku_id) from line_items where sub_order_id = s.id) as skus
         from sub_orders s where s.id = ?`,
    )
      .bind(s1.id)
      .first<{ subtotal: number; status: string; lines: number; skus: string }>();
    expect(s1After).toEqual({ subtotal: 500, status: "paid", lines: 500, skus: skuK.id });
    for (const skuId of [a.skuId, skuK.id, y.skuId, z.skuId]) await expectStockEquation(skuId);
  });
});

describe("the same reassignment sent twice, both reading the order before either lands", () => {
  it("moves once, and both (and a later retry) answer the move", async () => {
    const { a, b } = await reassignableMarket(ON_HAND);
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ skuId: a.skuId, qty: 2 }]);
    expect((await pay(shopper.token, placed.body.payment.id)).body.status).toBe("paid");
    const orderId = placed.body.order.id as string;
    const sub = placed.body.order.subOrders[0];
    const input: ReassignInput = {
      subOrderId: sub.id,
      target: { warehouseId: a.warehouseIds[1]! },
      reason: "sent twice",
      key: uid("ra-"),
      actor: { role: "ops", id: null },
      now: new Date(),
    };
    const both = await Promise.all([reassignSubOrder(env, undefined, input), reassignSubOrder(env, undefined, input)]);
    expect(both).toEqual([
      { ok: true, orderId },
      { ok: true, orderId },
    ]);
    expect(await reassignSubOrder(env, undefined, input)).toEqual({ ok: true, orderId });
    const moves = await env.DB.prepare("select count(*) as n from reassignments where order_id = ?")
      .bind(orderId)
      .first<{ n: number }>();
    expect(moves!.n).toBe(1);
    const lines = await env.DB.prepare("select warehouse_id as w, qty from line_items where sub_order_id = ?")
      .bind(sub.id)
      .all();
    expect(lines.results).toEqual([{ w: a.warehouseIds[1], qty: 2 }]);
    for (const skuId of [a.skuId, b.skuId]) await expectStockEquation(skuId);
    const snap = await expectStockEquation(a.skuId);
    expect(snap.warehouses.map((w) => [w.warehouseId, w.committed, w.available]).sort()).toEqual(
      [
        [a.warehouseIds[0], 0, ON_HAND],
        [a.warehouseIds[1], 2, ON_HAND - 2],
      ].sort(),
    );
  });

  it("a retry under the same key of a move that failed after setting units aside sets them aside again", async () => {
    const { a, sub, target } = await paidForTwo();
    const { input, read } = await readForMove(sub.id, { warehouseId: target });
    // The first attempt set the units aside, then failed (a D1 error, say) and gave them back.
    const id = await identify(read.subject, input);
    const aside = `${read.subject.agg.order.holdId}~${id.reassignmentId}:${id.requestHash}`;
    const stock = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(a.skuId));
    const first = await stock.reserve({
      skuId: a.skuId,
      holdId: aside,
      qty: 2,
      warehouses: [target],
      expiresAt: Date.now() + 60_000,
    });
    expect(first.ok).toBe(true);
    expect((await stock.release(aside, "reassignment_dropped")).ok).toBe(true);

    const retried = await reassignLoadedSubOrder(env, undefined, read.subject, input);
    expect(retried.ok, JSON.stringify(retried)).toBe(true);
    const lines = await env.DB.prepare("select warehouse_id as w, qty from line_items where sub_order_id = ?")
      .bind(sub.id)
      .all();
    expect(lines.results).toEqual([{ w: target, qty: 2 }]);
    await expectStockEquation(a.skuId);
  });

  it("a duplicate of a move that landed meanwhile sets nothing aside again: the target's units stay for sale", async () => {
    const { a, sub, target } = await paidForTwo();
    // The duplicate reads the order; the first copy of the same request then lands and moves the hold.
    const { input, read } = await readForMove(sub.id, { warehouseId: target });
    expect((await reassignSubOrder(env, undefined, input)).ok).toBe(true);
    const duplicate = await reassignLoadedSubOrder(env, undefined, read.subject, input);
    expect(duplicate.ok, JSON.stringify(duplicate)).toBe(true);
    const at = (await expectStockEquation(a.skuId)).warehouses.find((w) => w.warehouseId === target);
    expect(at).toMatchObject({ held: 0, committed: 2, available: ON_HAND - 2 });
  });
});
