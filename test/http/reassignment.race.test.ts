import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, newCustomer, tokenFor, uid } from "../support/api";
import { newProduct } from "../support/catalog";
import { BENGALURU, expectStockEquation, pay } from "../support/marketplace";
import { east, offer, order, reassignableMarket } from "./routing.fixtures";

/**
 * A reassignment fired at the same moment as a cancel, a pack-and-dispatch, or a payment of the
 * same sub-order, twenty times each, or while shoppers claim the one unit it moves to. Whoever wins, afterwards: every SKU's stock equation holds,
 * its held and committed units are exactly the live lines that point at them (nothing held twice,
 * nothing set aside left behind), its shipped units left from the warehouse the lines name, and
 * each order's hold in each SKU's object is exactly its live lines there.
 */

const ROUNDS = 20;
const ON_HAND = 200;
const STATUS_OF_HOLD: Record<string, string> = {
  pending_payment: "held",
  paid: "committed",
  confirmed: "committed",
  packed: "committed",
  dispatched: "shipped",
};

/**
 * Starts `act` after a few more D1 round trips every other round, so the rounds start it at
 * different steps of the other side (timers do not advance between I/O in workerd; round trips do).
 */
async function later<T>(round: number, act: () => Promise<T>): Promise<T> {
  for (let i = 0; i < 3 + Math.floor(round / 2); i++) await env.DB.prepare("select 1").first();
  return act();
}

const post = (token: string, path: string, body?: unknown) =>
  api("POST", path, {
    token,
    ...(body === undefined ? {} : { body }),
    ...(path.endsWith("/reassign") ? { headers: { "Idempotency-Key": uid("ra-") } } : {}),
  });

/** Vendor A sells the product from a near and a far warehouse, vendor B from one of its own. */
async function market() {
  const { a, b } = await reassignableMarket(ON_HAND);
  const vendorA = await tokenFor("vendor", { vendorId: a.vendorId });
  return { a, b, vendorA, ops: await tokenFor("ops"), orderIds: [] as string[] };
}
type Market = Awaited<ReturnType<typeof market>>;

/** Two units of A's SKU from its near warehouse; paid unless asked not to. */
async function placeOrder(m: Market, opts: { paid: boolean }) {
  const shopper = await newCustomer();
  const placed = await order(shopper.token, [{ skuId: m.a.skuId, qty: 2 }]);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  m.orderIds.push(placed.body.order.id);
  if (opts.paid) expect((await pay(shopper.token, placed.body.payment.id)).body.status).toBe("paid");
  const sub = placed.body.order.subOrders[0];
  expect(sub.lines.map((l: any) => [l.warehouseId, l.qty])).toEqual([[m.a.warehouseIds[0], 2]]);
  return { shopper, orderId: placed.body.order.id as string, paymentId: placed.body.payment.id, sub };
}

/** Alternates a move inside A (the SKU stays, the warehouse changes) with a move to B's offer. */
function reassignment(m: Market, sub: any, round: number, partial: boolean) {
  const lines = partial ? [{ lineId: sub.lines[0].id, qty: 1 }] : undefined;
  const target = round % 2 === 0 ? { warehouseId: m.a.warehouseIds[1] } : { skuId: m.b.skuId };
  return post(m.ops, `/v1/sub-orders/${sub.id}/reassign`, { ...(lines ? { lines } : {}), target, reason: "race" });
}

type LineRow = { orderId: string; holdId: string; skuId: string; warehouseId: string; status: string; qty: number };

async function liveLines(orderIds: string[]): Promise<LineRow[]> {
  const r = await env.DB.prepare(
    `select o.id as orderId, o.hold_id as holdId, li.sku_id as skuId, li.warehouse_id as warehouseId,
            so.status as status, li.qty as qty
       from line_items li join sub_orders so on so.id = li.sub_order_id join orders o on o.id = li.order_id
      where o.id in (select value from json_each(?)) and so.status <> 'cancelled' and li.qty > 0`,
  )
    .bind(JSON.stringify(orderIds))
    .all<LineRow>();
  return r.results;
}

const stockObject = (skuId: string) => env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId));

/** The invariants, read from the stock objects and D1 after every round has settled. */
async function expectConsistent(m: Market) {
  const lines = await liveLines(m.orderIds);
  for (const skuId of [m.a.skuId, m.b.skuId]) {
    const snap = await expectStockEquation(skuId);
    const mine = lines.filter((l) => l.skuId === skuId);
    for (const w of snap.warehouses) {
      const at = mine.filter((l) => l.warehouseId === w.warehouseId);
      const sum = (holdStatus: string) =>
        at.filter((l) => STATUS_OF_HOLD[l.status] === holdStatus).reduce((n, l) => n + l.qty, 0);
      expect({
        sku: skuId,
        warehouse: w.warehouseId,
        held: w.held,
        committed: w.committed,
        shipped: ON_HAND - w.onHand,
      }).toEqual({
        sku: skuId,
        warehouse: w.warehouseId,
        held: sum("held"),
        committed: sum("committed"),
        shipped: sum("shipped"),
      });
    }
    for (const orderId of m.orderIds) {
      const ofOrder = mine.filter((l) => l.orderId === orderId);
      const holdId = (await env.DB.prepare("select hold_id as h from orders where id = ?")
        .bind(orderId)
        .first<{ h: string }>())!.h;
      const holds = (await stockObject(skuId).holdsOf(holdId)).filter((h) => h.status !== "released");
      const expected = ofOrder.map((l) => [l.warehouseId, l.qty, STATUS_OF_HOLD[l.status]]).sort();
      expect({ orderId, skuId, holds: holds.map((h) => [h.warehouseId, h.qty, h.status]).sort() }).toEqual({
        orderId,
        skuId,
        holds: expected,
      });
    }
  }
}

describe("a reassignment racing another change of the same sub-order", () => {
  it("against the vendor's cancel: the units end up either moved or released, never both or neither", async () => {
    const m = await market();
    for (let round = 0; round < ROUNDS; round++) {
      const { sub } = await placeOrder(m, { paid: true });
      const [moved, cancelled] = await Promise.all([
        reassignment(m, sub, round, round % 4 >= 2),
        later(round, () => post(m.vendorA, `/v1/sub-orders/${sub.id}/cancel`, { reason: "cannot source it" })),
      ]);
      expect([200, 409]).toContain(moved.status);
      expect([200, 409]).toContain(cancelled.status);
    }
    await expectConsistent(m);
  }, 180_000);

  it("against packing and dispatch: what leaves the warehouse is what the lines say", async () => {
    const m = await market();
    for (let round = 0; round < ROUNDS; round++) {
      const { sub } = await placeOrder(m, { paid: true });
      expect((await post(m.vendorA, `/v1/sub-orders/${sub.id}/confirm`)).status).toBe(200);
      const shipIt = async () => {
        const packed = await post(m.vendorA, `/v1/sub-orders/${sub.id}/pack`, {
          scanned: [m.a.barcode, m.a.barcode],
        });
        if (packed.status !== 200) return packed;
        return post(m.vendorA, `/v1/sub-orders/${sub.id}/dispatch`, { carrier: "generic", awb: uid("PARCEL-") });
      };
      const [moved, shipped] = await Promise.all([reassignment(m, sub, round, round % 4 < 2), later(round, shipIt)]);
      expect([200, 409]).toContain(moved.status);
      expect([200, 409, 422]).toContain(shipped.status);
    }
    await expectConsistent(m);
  }, 180_000);

  it("against the payment of an unpaid order: moved only once paid, every unit committed once", async () => {
    const m = await market();
    for (let round = 0; round < ROUNDS; round++) {
      const placed = await placeOrder(m, { paid: false });
      const [moved, paid] = await Promise.all([
        later(round, () => reassignment(m, placed.sub, round, false)),
        pay(placed.shopper.token, placed.paymentId),
      ]);
      expect(paid.body.status).toBe("paid");
      // Refused while unpaid; once the payment landed first, an ordinary move of a paid sub-order.
      expect([200, 409]).toContain(moved.status);
    }
    await expectConsistent(m);
  }, 180_000);
});

/** A unit of one SKU in one warehouse. */
type Place = { skuId: string; warehouseId: string };

/**
 * Another shopper's claims on the one unit at `at`: from the moment the move sets it aside (or after
 * a while) until the move answers or a claim gets the unit.
 */
async function claimWhileMoving(at: Place, moving: () => boolean) {
  const stock = stockObject(at.skuId);
  const heldThere = async () =>
    (await stock.snapshot()).warehouses.find((w) => w.warehouseId === at.warehouseId)?.held ?? 0;
  let spins = 0;
  while (moving() && spins++ < 2000 && (await heldThere()) === 0) {}
  while (moving() && spins++ < 4000) {
    const claim = await stock.reserve({
      skuId: at.skuId,
      holdId: uid("shopper-"),
      qty: 1,
      warehouses: [at.warehouseId],
      expiresAt: Date.now() + 3_600_000,
    });
    if (claim.ok) return;
  }
}

/** Every live line's units committed exactly once, under its order's hold where the line says; none elsewhere. */
async function expectCommittedOnce(orderId: string, skuIds: string[]) {
  const lines = await liveLines([orderId]);
  for (const skuId of skuIds) {
    const snap = await expectStockEquation(skuId);
    const there = lines.filter((l) => l.skuId === skuId);
    const holds = (await stockObject(skuId).holdsOf(lines[0]!.holdId)).filter((h) => h.status !== "released");
    expect({ orderId, skuId, holds: holds.map((h) => [h.warehouseId, h.qty, h.status]).sort() }).toEqual({
      orderId,
      skuId,
      holds: there.map((l) => [l.warehouseId, l.qty, "committed"]).sort(),
    });
    // The SKU is this round's own: nothing but the order's lines is committed in it.
    for (const w of snap.warehouses) {
      const lineQty = there.filter((l) => l.warehouseId === w.warehouseId).reduce((n, l) => n + l.qty, 0);
      expect({ orderId, warehouse: w.warehouseId, committed: w.committed }).toEqual({
        orderId,
        warehouse: w.warehouseId,
        committed: lineQty,
      });
    }
  }
}

describe("a reassignment racing shoppers who claim the unit it moves to", () => {
  it("gets the unit for the order or is refused: a 200 never leaves it to another shopper", async () => {
    const ops = await tokenFor("ops");
    const statuses: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // A sells from a near warehouse and a far one holding one unit; B has one unit. Odd rounds move
      // the order's unit to B's, even rounds to A's far warehouse (the SKU stays, the warehouse changes).
      const product = await newProduct();
      const a = await offer({
        productId: product.id,
        warehouses: [
          { at: east(BENGALURU, 2), onHand: 5 },
          { at: east(BENGALURU, 60), onHand: 1 },
        ],
      });
      const b = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 40), onHand: 1 }] });
      const shopper = await newCustomer();
      const placed = await order(shopper.token, [{ skuId: a.skuId, qty: 1 }]);
      expect(placed.status, JSON.stringify(placed.body)).toBe(201);
      expect((await pay(shopper.token, placed.body.payment.id)).body.status).toBe("paid");
      const sub = placed.body.order.subOrders[0];
      expect(sub.lines.map((l: any) => l.warehouseId)).toEqual([a.warehouseIds[0]]);

      const last: Place =
        round % 2 === 1
          ? { skuId: b.skuId, warehouseId: b.warehouseIds[0]! }
          : { skuId: a.skuId, warehouseId: a.warehouseIds[1]! };
      let moving = true;
      const [moved] = await Promise.all([
        post(ops, `/v1/sub-orders/${sub.id}/reassign`, { target: last, reason: "the near shelf is damaged" }).finally(
          () => {
            moving = false;
          },
        ),
        claimWhileMoving(last, () => moving),
        claimWhileMoving(last, () => moving),
      ]);
      statuses.push(moved.status);
      expect([200, 409], JSON.stringify(moved.body)).toContain(moved.status);
      const lines = await liveLines([placed.body.order.id]);
      // A 200 is the move done; a 409 changes nothing.
      expect(lines.map((l) => [l.skuId, l.warehouseId])).toEqual([
        moved.status === 200 ? [last.skuId, last.warehouseId] : [a.skuId, a.warehouseIds[0]],
      ]);
      await expectCommittedOnce(placed.body.order.id, [a.skuId, b.skuId]);
    }
    // Some rounds must have moved, or the race was never run.
    expect(statuses).toContain(200);
  }, 180_000);
});
