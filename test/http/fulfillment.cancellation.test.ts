import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cancelSubOrder } from "../../src/cancellation/sub-order-cancellation";
import { systemActor } from "../../src/domain/principal";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { newProduct, newSku, newVendor, newWarehouse } from "../support/catalog";
import {
  BENGALURU,
  checkout,
  DELHI,
  MUMBAI,
  paidOrderOfTwoVendors,
  pay,
  stockedSku,
  stockOf,
} from "../support/marketplace";

const step = (token: string, sub: string, name: string, body?: unknown) =>
  api("POST", `/v1/sub-orders/${sub}/${name}`, { token, ...(body === undefined ? {} : { body }) });

async function scansFor(sub: string) {
  const r = await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN });
  return r.body.lines.flatMap((l: any) => Array.from({ length: l.qty }, () => l.barcode as string));
}

/**
 * A paid order: vendor A sells two SKUs, the first split over two warehouses (1 unit near the
 * shopper, 2 far away, 3 ordered), and vendor B one SKU. Returns A's sub-order and the stock setup.
 */
async function splitOrder() {
  const vendor = await newVendor();
  const near = await newWarehouse(vendor.id, { lat: BENGALURU.lat, lng: BENGALURU.lng });
  const far = await newWarehouse(vendor.id, { lat: DELHI.lat, lng: DELHI.lng });
  const product = await newProduct();
  const skuIds: string[] = [];
  for (const [i, levels] of [
    [1, 2],
    [5, 0],
  ].entries()) {
    const sku = await newSku(vendor.id, product.id, { price: { amountMinor: 1_000 * (i + 1), currency: "INR" } });
    skuIds.push(sku.id);
    for (const [w, onHand] of [near.id, far.id].map((id, j) => [id, levels[j]!] as const)) {
      await api("PUT", `/v1/skus/${sku.id}/stock`, { token: ADMIN, body: { warehouseId: w, onHand, reason: "count" } });
    }
  }
  const other = await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 4 }], priceMinor: 700 });
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [
    { skuId: skuIds[0]!, qty: 3 },
    { skuId: skuIds[1]!, qty: 1 },
    { skuId: other.skuId, qty: 1 },
  ]);
  const paid = await pay(shopper.token, placed.body.payment.id);
  expect(paid.body.status).toBe("paid");
  const sub = paid.body.subOrders.find((s: any) => s.vendorId === vendor.id);
  return {
    orderId: paid.body.id as string,
    sub: sub.id as string,
    subTotal: sub.total.amountMinor as number,
    vendorToken: await tokenFor("vendor", { vendorId: vendor.id }),
    skuIds,
    near: near.id as string,
    far: far.id as string,
  };
}

const warehouseOf = async (skuId: string, warehouseId: string) =>
  (await stockOf(skuId)).warehouses.find((w) => w.warehouseId === warehouseId);

async function money(sub: string) {
  return env.DB.prepare(
    `select (select count(*) from refunds where sub_order_id = ?1) as refunds,
       (select count(*) from credit_notes where sub_order_id = ?1 and dedupe_key = 'credit:' || ?1 || ':cancel') as credits,
       (select count(*) from order_events where sub_order_id = ?1 and type = 'sub_order.cancelled') as events,
       (select count(*) from outbox where dedupe_key = 'sub_order.cancelled:' || ?1) as outbox,
       (select refunded_minor from payments p join sub_orders s on s.order_id = p.order_id where s.id = ?1) as refunded`,
  )
    .bind(sub)
    .first<{ refunds: number; credits: number; events: number; outbox: number; refunded: number }>();
}

describe("cancelSubOrder", () => {
  it("run five times at once: one cancellation, one refund of exactly that sub-order, one credit note, one event", async () => {
    const o = await splitOrder();
    const now = new Date();
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        cancelSubOrder(env, undefined, {
          subOrderId: o.sub,
          reason: "sla_breach_auto",
          actor: systemActor("sla-watcher"),
          now,
        }),
      ),
    );
    expect(outcomes.every((r) => r.ok)).toBe(true);
    const winners = outcomes.filter((r) => r.ok && r.changed);
    expect(winners).toEqual([
      { ok: true, changed: true, refundedMinor: o.subTotal, creditNoteId: expect.any(String), refundPending: false },
    ]);
    expect(await money(o.sub)).toEqual({ refunds: 1, credits: 1, events: 1, outbox: 1, refunded: o.subTotal });
    const out = await env.DB.prepare("select payload from outbox where dedupe_key = ?")
      .bind(`sub_order.cancelled:${o.sub}`)
      .first<{ payload: string }>();
    expect(JSON.parse(out!.payload)).toMatchObject({
      subOrderId: o.sub,
      reason: "sla_breach_auto",
      refundedMinor: o.subTotal,
      cancelledBy: "system",
    });

    // Each unit back in the warehouse it was taken from.
    expect(await warehouseOf(o.skuIds[0]!, o.near)).toMatchObject({ onHand: 1, available: 1, committed: 0 });
    expect(await warehouseOf(o.skuIds[0]!, o.far)).toMatchObject({ onHand: 2, available: 2, committed: 0 });
    expect(await warehouseOf(o.skuIds[1]!, o.near)).toMatchObject({ onHand: 5, available: 5, committed: 0 });

    const view = (await api("GET", `/v1/orders/${o.orderId}`, { token: ADMIN })).body;
    expect(view).toMatchObject({ status: "partially_cancelled", paymentStatus: "partially_refunded" });
    const row = await env.DB.prepare("select status, cancellation_reason, cancelled_at from sub_orders where id = ?")
      .bind(o.sub)
      .first<any>();
    expect(row).toMatchObject({ status: "cancelled", cancellation_reason: "sla_breach_auto" });
    expect(row.cancelled_at).toMatch(/Z$/);

    const again = await cancelSubOrder(env, undefined, {
      subOrderId: o.sub,
      reason: "again",
      actor: systemActor("sla-watcher"),
      now: new Date(),
    });
    expect(again).toEqual({ ok: true, changed: false, refundedMinor: 0, creditNoteId: null, refundPending: false });
    expect(await money(o.sub)).toEqual({ refunds: 1, credits: 1, events: 1, outbox: 1, refunded: o.subTotal });
  });

  it("records a vendor's own cancellation as the vendor's", async () => {
    const o = await splitOrder();
    const r = await step(o.vendorToken, o.sub, "cancel", { reason: "cannot source it" });
    expect(r.body).toMatchObject({ status: "cancelled", cancellationReason: "cannot source it" });
    const event = r.body.timeline.find((e: any) => e.type === "sub_order.cancelled");
    expect(event).toMatchObject({ actor: { role: "vendor" }, reason: "cannot source it" });
  });

  it("refuses a person's cancel that gives a reason only the system writes, changing nothing", async () => {
    const o = await splitOrder();
    const ops = await tokenFor("ops");
    // "reassigned" marks a shell a later move may revive; "sla_breach_auto" counts against the vendor.
    for (const reason of ["reassigned", "sla_breach_auto"]) {
      const own = await step(o.vendorToken, o.sub, "cancel", { reason });
      expect(own.status).toBe(422);
      expect(own.body.errors[0].path).toBe("reason");
      const bulk = await api("POST", "/v1/sub-orders/bulk", {
        token: ops,
        headers: { "Idempotency-Key": uid("ra-") },
        body: { action: "cancel", ids: [o.sub], reason },
      });
      expect(bulk.status).toBe(422);
    }
    const view = (await api("GET", `/v1/sub-orders/${o.sub}`, { token: ADMIN })).body;
    expect(view.status).toBe("paid");
    expect(await money(o.sub)).toMatchObject({ refunds: 0, credits: 0, events: 0 });
  });

  it("refuses after dispatch and for an unknown id, changing nothing", async () => {
    const o = await splitOrder();
    await step(o.vendorToken, o.sub, "confirm");
    await step(o.vendorToken, o.sub, "pack", { scanned: await scansFor(o.sub) });
    expect((await step(o.vendorToken, o.sub, "dispatch", { carrier: "generic", awb: "PARCEL-001" })).status).toBe(200);
    const input = { reason: "too late", actor: systemActor("test"), now: new Date() };
    const late = await cancelSubOrder(env, undefined, { subOrderId: o.sub, ...input });
    expect(late).toMatchObject({
      ok: false,
      code: "ILLEGAL_TRANSITION",
      allowed: ["deliver", "undelivered", "milestone"],
    });
    expect(await cancelSubOrder(env, undefined, { subOrderId: "sub_nope", ...input })).toMatchObject({
      ok: false,
      code: "NOT_FOUND",
    });
    expect(await money(o.sub)).toMatchObject({ refunds: 0, credits: 0, events: 0 });
    expect(await warehouseOf(o.skuIds[0]!, o.near)).toMatchObject({ onHand: 0, committed: 0 });
    expect(await warehouseOf(o.skuIds[0]!, o.far)).toMatchObject({ onHand: 0, committed: 0 });
  });

  it("racing a dispatch: exactly one of them happens, and stock and money agree with it", async () => {
    const seen = new Set<string>();
    const later = <T>(ms: number, f: () => Promise<T>) => new Promise((r) => setTimeout(r, ms)).then(f);
    // Head starts of a few milliseconds either way, and none, so both orders of events come up.
    for (const [round, [dispatchAfter, cancelAfter]] of [
      [0, 0],
      [0, 3],
      [3, 0],
      [0, 25],
      [25, 0],
    ].entries()) {
      const o = await splitOrder();
      await step(o.vendorToken, o.sub, "confirm");
      await step(o.vendorToken, o.sub, "pack", { scanned: await scansFor(o.sub) });
      const [dispatch, cancel] = await Promise.all([
        later(dispatchAfter!, () =>
          step(o.vendorToken, o.sub, "dispatch", { carrier: "generic", awb: `RACE-${round}-000` }),
        ),
        later(cancelAfter!, () =>
          cancelSubOrder(env, undefined, {
            subOrderId: o.sub,
            reason: "sla_breach_auto",
            actor: systemActor("sla-watcher"),
            now: new Date(),
          }),
        ),
      ]);
      const { status, awb } = (await env.DB.prepare("select status, awb from sub_orders where id = ?")
        .bind(o.sub)
        .first<any>())!;
      const far = await warehouseOf(o.skuIds[0]!, o.far);
      const m = await money(o.sub);
      seen.add(status);
      if (status === "dispatched") {
        expect(dispatch.status).toBe(200);
        expect(cancel).toMatchObject({ ok: false, code: "ILLEGAL_TRANSITION" });
        expect(far).toMatchObject({ onHand: 0, committed: 0 });
        expect(m).toMatchObject({ refunds: 0, credits: 0, events: 0, refunded: 0 });
      } else {
        expect(status).toBe("cancelled");
        expect(dispatch.status).toBe(409);
        // The dispatch that lost leaves no AWB behind on the cancelled sub-order.
        expect(awb).toBeNull();
        expect(cancel).toMatchObject({ ok: true, changed: true });
        expect(far).toMatchObject({ onHand: 2, available: 2, committed: 0 });
        expect(m).toMatchObject({ refunds: 1, credits: 1, events: 1, refunded: o.subTotal });
      }
    }
    expect([...seen].sort()).toEqual(["cancelled", "dispatched"]);
  });
});

describe("a whole-order cancel racing a vendor's cancel", () => {
  it("refunds and credits each sub-order once, and the payment exactly its total", async () => {
    for (let round = 0; round < 3; round++) {
      const o = await splitOrder();
      const ops = await tokenFor("ops");
      const [whole, part] = await Promise.all([
        api("POST", `/v1/orders/${o.orderId}/cancel`, { token: ops, body: { reason: "changed_mind" } }),
        step(o.vendorToken, o.sub, "cancel", { reason: "cannot source it" }),
      ]);
      expect(whole.status).toBe(200);
      expect(part.status).toBe(200);
      const rows = await env.DB.prepare(
        `select (select count(*) from refunds where order_id = ?1) as refunds,
           (select count(distinct sub_order_id) from refunds where order_id = ?1) as refundedSubs,
           (select count(*) from credit_notes where order_id = ?1) as credits,
           (select refunded_minor - amount_minor from payments where order_id = ?1) as over,
           (select payment_status from orders where id = ?1) as paymentStatus`,
      )
        .bind(o.orderId)
        .first<any>();
      expect(rows).toEqual({ refunds: 2, refundedSubs: 2, credits: 2, over: 0, paymentStatus: "refunded" });
      expect((await api("GET", `/v1/orders/${o.orderId}`, { token: ADMIN })).body.status).toBe("cancelled");
    }
  });
});

describe("a whole-order cancel that finds part of the order shipped meanwhile", () => {
  it("announces each part it cancelled, as that part's own cancel would be", async () => {
    const { a, b, vendorA, shopper, orderId, subA, subB } = await paidOrderOfTwoVendors();
    await step(vendorA, subA, "confirm");
    await step(vendorA, subA, "pack", { scanned: await scansFor(subA) });
    // A's dispatch is under way: its stock object has shipped the units, its D1 write is yet to land.
    const { holdId } = (await env.DB.prepare("select hold_id as holdId from orders where id = ?")
      .bind(orderId)
      .first<{ holdId: string }>())!;
    expect((await env.SKU_STOCK.get(env.SKU_STOCK.idFromName(a.skuId)).ship(holdId)).ok).toBe(true);

    const cancel = await api("POST", `/v1/orders/${orderId}/cancel`, {
      token: shopper.token,
      body: { reason: "changed_mind" },
    });
    expect(cancel.status).toBe(409);
    expect(await money(subB)).toMatchObject({ refunds: 1, credits: 1, events: 1, outbox: 1 });
    const rows = (
      await env.DB.prepare("select type, dedupe_key as dedupeKey, payload from outbox where order_id = ?")
        .bind(orderId)
        .all<{ type: string; dedupeKey: string; payload: string }>()
    ).results.filter((r) => r.type.endsWith("cancelled"));
    expect(rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) }))).toEqual([
      {
        type: "sub_order.cancelled",
        dedupeKey: `sub_order.cancelled:${subB}`,
        payload: expect.objectContaining({ subOrderId: subB, vendorId: b.vendorId, reason: "changed_mind" }),
      },
    ]);
  });
});

describe("the parent status", () => {
  it("stays right when every vendor moves at the same moment", async () => {
    const skus = await Promise.all(
      [BENGALURU, MUMBAI, DELHI].map((at) => stockedSku({ warehouses: [{ at, onHand: 5 }] })),
    );
    const shopper = await newCustomer();
    const placed = await checkout(
      shopper.token,
      skus.map((s) => ({ skuId: s.skuId, qty: 1 })),
    );
    const paid = await pay(shopper.token, placed.body.payment.id);
    const subs = paid.body.subOrders.map((s: any) => s.id as string);
    const all = (name: string, body?: (sub: string) => Promise<unknown> | unknown) =>
      Promise.all(subs.map(async (sub: string) => step(ADMIN, sub, name, body ? await body(sub) : undefined)));
    await all("confirm");
    await all("pack", async (sub) => ({ scanned: await scansFor(sub) }));
    const parent = async () => (await api("GET", `/v1/orders/${paid.body.id}`, { token: ADMIN })).body.status;
    for (const r of await all("dispatch", (sub) => ({ carrier: "generic", awb: `SAME-${sub.slice(-12)}` }))) {
      expect((r as any).status).toBe(200);
    }
    expect(await parent()).toBe("dispatched");
    await all("deliver");
    expect(await parent()).toBe("delivered");
  });
});
