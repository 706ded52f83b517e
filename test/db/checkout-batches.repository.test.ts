import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { readCheckoutContext } from "../../src/db/checkout-reads";
import { type PlacedOrder, writePlacedOrder } from "../../src/db/checkout-writes";
import { database } from "../../src/db/client";
import { uniqueViolation } from "../../src/db/constraints";
import { loadOrder } from "../../src/db/orders";
import { findOutboxByKey } from "../../src/db/outbox";
import { newCustomer, uid } from "../support/api";
import { checkout, stockedSku } from "../support/marketplace";

/** A real order placed through the API: the rows the hand-written batches are checked against. */
async function placedThroughApi() {
  const sku = await stockedSku({ warehouses: [{ at: { lat: 12.9716, lng: 77.5946 }, onHand: 10 }] });
  const shopper = await newCustomer();
  const key = uid("idem-");
  const r = await checkout(shopper.token, [{ skuId: sku.skuId, qty: 2 }], key);
  expect(r.status).toBe(201);
  const stored = await loadOrder(database(env), r.body.order.id);
  return { sku, shopper, key, stored: stored! };
}

type Stored = Awaited<ReturnType<typeof placedThroughApi>>["stored"];

/** A new order with `stored`'s rows under fresh ids and a fresh idempotency key. */
function placedLike(stored: Stored, customerId: string): PlacedOrder {
  const at = stored.order.createdAt;
  const orderId = uid("ord_");
  const subId = uid("sub_");
  return {
    idempotency: {
      scope: `customer:${customerId}`,
      key: uid("idem-"),
      requestHash: "h",
      responseStatus: 201,
      responseBody: "{}",
      createdAt: at,
      expiresAt: at,
    },
    order: { ...stored.order, id: orderId, holdId: uid("hold_") },
    subOrders: [{ ...stored.subOrders[0]!, id: subId, orderId }],
    lines: [{ ...stored.lines[0]!, id: uid("li_"), orderId, subOrderId: subId }],
    payment: { ...stored.payment!, id: uid("pay_"), orderId },
    events: [{ ...stored.events[0]!, orderId, dedupeKey: `order.placed:${orderId}` }].map(({ id: _id, ...e }) => e),
    outbox: {
      type: "order.placed",
      orderId,
      payload: { orderId },
      dedupeKey: `order.placed:${orderId}`,
      createdAt: at,
    },
    routing: { orderId, weightsVersion: 1, explanation: { orderId }, createdAt: at },
  };
}

describe("checkout's D1 batches", () => {
  it("reads the checkout context for more SKUs and vendors than one statement binds", async () => {
    const { sku, shopper, key, stored } = await placedThroughApi();
    const fakeSkus = Array.from({ length: 120 }, () => uid("sku_"));
    const fakeVendors = Array.from({ length: 150 }, () => uid("ven_"));
    const input = {
      scope: `customer:${shopper.customerId}`,
      key,
      customerId: shopper.customerId,
      skuIds: [...fakeSkus, sku.skuId],
      now: stored.order.createdAt,
      orderId: uid("ord_"),
      vendorIds: [...fakeVendors, sku.vendorId],
      at: new Date(stored.order.createdAt),
    };
    const context = await readCheckoutContext(database(env), input);
    expect(context.idempotent).toMatchObject({ scope: input.scope, key, responseStatus: 201 });
    expect(JSON.parse(context.idempotent!.responseBody).order.id).toBe(stored.order.id);
    expect(context.skus).toEqual([
      {
        skuId: sku.skuId,
        vendorId: sku.vendorId,
        priceMinor: 49_900,
        currency: "INR",
        skuStatus: "active",
        vendorStatus: "active",
        commissionBps: sku.commissionBps,
      },
    ]);
    expect(context.openHolds).toEqual({ open: 1, earliest: stored.order.holdExpiresAt });
    expect(context.loads.size).toBe(151);
    expect(context.loads.get(sku.vendorId)).toBe(1);
    expect([...context.loads.values()].reduce((n, v) => n + v, 0)).toBe(1);

    // The order being placed is not its own vendor's load; another key finds no stored answer.
    const own = await readCheckoutContext(database(env), { ...input, key: uid("idem-"), orderId: stored.order.id });
    expect(own.idempotent).toBeUndefined();
    expect(own.loads.get(sku.vendorId)).toBe(0);
  });

  it("reads the contexts of checkouts asking at the same moment together, each its own", async () => {
    const placed = await Promise.all([placedThroughApi(), placedThroughApi(), placedThroughApi()]);
    const inputFor = (p: (typeof placed)[number], over: { key?: string; orderId?: string; vendorIds?: string[] }) => ({
      scope: `customer:${p.shopper.customerId}`,
      key: over.key ?? uid("idem-"),
      customerId: p.shopper.customerId,
      skuIds: [p.sku.skuId],
      now: p.stored.order.createdAt,
      orderId: over.orderId ?? uid("ord_"),
      vendorIds: over.vendorIds ?? [p.sku.vendorId],
      at: new Date(p.stored.order.createdAt),
    });
    const [a, b, c] = placed as [(typeof placed)[0], (typeof placed)[0], (typeof placed)[0]];
    const inputs = [
      inputFor(a, { key: a.key }),
      inputFor(b, {}),
      inputFor(c, { orderId: c.stored.order.id }),
      inputFor(a, { vendorIds: [a.sku.vendorId, b.sku.vendorId, c.sku.vendorId] }),
      { ...inputFor(b, { key: b.key }), skuIds: [b.sku.skuId, a.sku.skuId, uid("sku_")] },
      inputFor(c, { key: a.key }),
    ];
    // The first goes alone; the others wait for it and then go together, in one statement each.
    const together = await Promise.all(
      [...inputs, ...inputs].map((input) => readCheckoutContext(database(env), input)),
    );
    const alone = [];
    for (const input of inputs) alone.push(await readCheckoutContext(database(env), input));
    expect(together).toEqual([...alone, ...alone]);

    const [aReplay, bFresh, cOwn, aThree, bReplay, cOtherKey] = alone as [(typeof alone)[0], ...typeof alone];
    expect(JSON.parse(aReplay!.idempotent!.responseBody).order.id).toBe(a.stored.order.id);
    expect(JSON.parse(bReplay!.idempotent!.responseBody).order.id).toBe(b.stored.order.id);
    expect(bFresh!.idempotent).toBeUndefined();
    expect(cOtherKey!.idempotent).toBeUndefined();
    for (const [ctx, p] of [
      [aReplay, a],
      [bFresh, b],
      [cOtherKey, c],
    ] as const)
      expect(ctx!.openHolds).toEqual({ open: 1, earliest: p.stored.order.holdExpiresAt });
    expect(bFresh!.loads).toEqual(new Map([[b.sku.vendorId, 1]]));
    expect(cOwn!.loads).toEqual(new Map([[c.sku.vendorId, 0]]));
    expect(aThree!.loads).toEqual(new Map([a, b, c].map((p) => [p.sku.vendorId, 1])));
    expect(bReplay!.skus.map((r) => r.skuId)).toEqual([b.sku.skuId, a.sku.skuId]);
  });

  it("writes every column of an order with more lines than one statement binds, once", async () => {
    const { shopper, stored } = await placedThroughApi();
    const db = database(env);
    const base = placedLike(stored, shopper.customerId);
    const orderId = base.order.id;
    const subId = base.subOrders[0]!.id;
    const template = stored.lines[0]!;
    // 120 lines x 12 columns: drizzle needed 15 inserts for these; one JSON parameter does it.
    const lines = Array.from({ length: 120 }, (_, i) => ({
      ...template,
      id: uid(`li${i}_`),
      orderId,
      subOrderId: subId,
      lineIndex: i,
      productId: i % 2 === 0 ? null : template.productId,
    }));
    const placed: PlacedOrder = {
      ...base,
      order: { ...base.order, reviewHeld: true, reviewNote: "big" },
      subOrders: [{ ...base.subOrders[0]!, promisedDeliveryBy: null }],
      lines,
      payment: { ...base.payment, clientSecret: null },
      events: [
        { ...stored.events[0]!, orderId, dedupeKey: `order.placed:${orderId}`, data: { subOrders: 1, note: "é" } },
        { ...stored.events[0]!, orderId, type: "order.flagged", dedupeKey: `order.flagged:${orderId}`, data: null },
      ].map(({ id: _id, ...e }) => e),
      outbox: { ...base.outbox, payload: { orderId, subOrders: [{ id: subId }] } },
      routing: { ...base.routing, weightsVersion: 3, explanation: { lines: [{ skuId: template.skuId }] } },
    };
    const outboxIds = await writePlacedOrder(db, placed);
    const outbox = await findOutboxByKey(db, placed.outbox.dedupeKey);
    expect(outboxIds).toEqual([outbox!.id]);
    expect(outbox).toMatchObject({ payload: placed.outbox.payload, dispatchedAt: null });

    const written = (await loadOrder(db, orderId))!;
    expect(written.order).toEqual(placed.order);
    expect(written.subOrders).toEqual(placed.subOrders);
    expect(written.lines).toEqual(lines);
    expect(written.payment).toEqual(placed.payment);
    expect(written.events.map(({ id: _id, ...e }) => e)).toEqual(placed.events);
    expect(written.events[0]!.id).toBeLessThan(written.events[1]!.id);
    expect(written.routing).toEqual({ ...placed.routing });

    // A duplicate collides on the idempotency key and writes nothing more.
    const again = await writePlacedOrder(db, placed).catch((err: unknown) => err);
    expect(uniqueViolation(again)).toEqual({ table: "idempotency_keys", columns: ["scope", "key"] });
    expect((await loadOrder(db, orderId))!.lines).toHaveLength(120);
  });

  it("writes orders placed at the same moment together, each with its own outbox row; a duplicate among them fails alone", async () => {
    const { shopper, stored } = await placedThroughApi();
    const db = database(env);
    const orders = Array.from({ length: 40 }, () => placedLike(stored, shopper.customerId));
    const first = orders[0]!;
    await writePlacedOrder(db, first);
    // The first order's key again under a new order id: it collides, and only it.
    const duplicate = { ...placedLike(stored, shopper.customerId), idempotency: first.idempotency };
    const results = await Promise.all(
      [...orders.slice(1), duplicate].map((o) => writePlacedOrder(db, o).catch((err: unknown) => err)),
    );

    expect(uniqueViolation(results.at(-1))).toEqual({ table: "idempotency_keys", columns: ["scope", "key"] });
    expect(await loadOrder(db, duplicate.order.id)).toBeNull();
    for (const [i, order] of orders.slice(1).entries()) {
      const outbox = await findOutboxByKey(db, order.outbox.dedupeKey);
      expect(results[i]).toEqual([outbox!.id]);
      expect(outbox).toMatchObject({ orderId: order.order.id, payload: { orderId: order.order.id } });
      const written = (await loadOrder(db, order.order.id))!;
      expect(written.order).toEqual(order.order);
      expect(written.lines).toEqual(order.lines);
      expect(written.routing).toEqual(order.routing);
    }
  });
});
