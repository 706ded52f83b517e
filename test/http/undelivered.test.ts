import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { journalsOfOrder } from "../../src/db/ledger";
import { balanceOf } from "../../src/domain/ledger";
import { closeUndelivered } from "../../src/fulfillment/undelivered";
import { retryPendingRefunds } from "../../src/jobs/pending-refunds";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { d1Batches, lost, stockCalls } from "../support/bindings";
import { carrierSays } from "../support/carriers";
import { inr } from "../support/catalog";
import { outboxMessages } from "../support/feeds";
import { BENGALURU, checkout, expectStockEquation, pay, stockedSku, stockOf } from "../support/marketplace";

let seq = 0;
/** A Delhivery AWB (13-14 digits) no other test of this file uses. */
const delhiveryAwb = () => `7${String(Date.now() % 1e9).padStart(9, "0")}${String(++seq).padStart(4, "0")}`;

const step = (token: string, sub: string, name: string, body?: unknown) =>
  api("POST", `/v1/sub-orders/${sub}/${name}`, { token, ...(body === undefined ? {} : { body }) });

/** A new shopper's order of two units of one vendor's SKU, paid, and dispatched with Delhivery. */
async function dispatched() {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: 2_000 });
  // The vendor's own rate card: the parcel carries a shipping charge, which an undelivered parcel refunds too.
  const card = await api("POST", "/v1/rate-cards", {
    token: ADMIN,
    body: { vendorId: s.vendorId, maxKm: 100, maxWeightGrams: 5_000, price: inr(4_000), transitDays: 1 },
  });
  expect(card.status).toBe(201);
  const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }]);
  const paid = await pay(shopper.token, placed.body.payment.id);
  const sub = paid.body.subOrders[0].id as string;
  expect((await step(vendor, sub, "confirm")).status).toBe(200);
  const barcode = (await api("GET", `/v1/sub-orders/${sub}`, { token: vendor })).body.lines[0].barcode;
  expect((await step(vendor, sub, "pack", { scanned: [barcode, barcode] })).status).toBe(200);
  const awb = delhiveryAwb();
  expect((await step(vendor, sub, "dispatch", { carrier: "delhivery", awb })).status).toBe(200);
  return { ...s, vendor, shopper: shopper.token, orderId: paid.body.id as string, sub, awb };
}

const money = (sub: string) =>
  env.DB.prepare(
    `select s.status, s.cancellation_reason as reason, s.total_minor as total, s.shipping_minor as shipping,
            (select coalesce(sum(amount_minor), 0) from refunds where sub_order_id = s.id) as refunded,
            (select count(*) from credit_notes where sub_order_id = s.id) as notes,
            p.refunded_minor as paymentRefunded
     from sub_orders s join payments p on p.order_id = s.order_id where s.id = ?`,
  )
    .bind(sub)
    .first<{
      status: string;
      reason: string | null;
      total: number;
      shipping: number;
      refunded: number;
      notes: number;
      paymentRefunded: number;
    }>();

/** What the ledger still owes the sub-order's vendor. */
async function owedToVendor(orderId: string, sub: string) {
  const entries = (await journalsOfOrder(database(env), orderId)).flatMap((j) => j.entries);
  return (
    0 -
    balanceOf(
      entries.filter((e) => e.subOrderId === sub),
      "vendor_payable",
    )
  );
}

describe("a dispatched parcel that never reached the shopper", () => {
  it("back at its seller by the carrier's word: refunded in full, shipping too, and its units back on the shelf", async () => {
    const p = await dispatched();
    expect((await stockOf(p.skuId)).totals.onHand).toBe(3);

    await carrierSays(p.awb, "returned_to_origin");
    const m = await money(p.sub);
    expect(m).toMatchObject({ status: "cancelled", reason: "returned_to_origin", notes: 1 });
    expect(m!.shipping).toBeGreaterThan(0);
    expect(m!.refunded).toBe(m!.total);
    expect(m!.paymentRefunded).toBe(m!.total);
    expect(await owedToVendor(p.orderId, p.sub)).toBe(0);
    expect((await stockOf(p.skuId)).totals).toMatchObject({ onHand: 5, available: 5 });
    await expectStockEquation(p.skuId);

    const order = await api("GET", `/v1/orders/${p.orderId}`, { token: p.shopper });
    expect(order.body).toMatchObject({ status: "cancelled", paymentStatus: "refunded" });
    const told = (await outboxMessages(p.orderId)).filter((o) => o.type === "sub_order.cancelled");
    expect(told.map((o) => [o.payload.reason, o.payload.refundedMinor])).toEqual([["returned_to_origin", m!.total]]);

    // The carrier says it again, and then that it was delivered: nothing changes.
    await carrierSays(p.awb, "returned_to_origin");
    await carrierSays(p.awb, "delivered");
    expect(await money(p.sub)).toEqual(m);
    expect((await stockOf(p.skuId)).totals.onHand).toBe(5);
  });

  it("lost, as ops record it: refunded in full, nothing put back, and the same outcome again changes nothing", async () => {
    const p = await dispatched();
    const ops = await tokenFor("ops");
    const closed = await step(ops, p.sub, "undelivered", { outcome: "lost_in_transit", note: "carrier claim 4411" });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: "cancelled", cancellationReason: "lost_in_transit" });
    expect(closed.body.creditNotes).toHaveLength(1);
    const event = closed.body.timeline.find((e: { type: string }) => e.type === "sub_order.cancelled");
    expect(event).toMatchObject({ reason: "carrier claim 4411" });
    const m = await money(p.sub);
    expect(m!.refunded).toBe(m!.total);
    expect((await stockOf(p.skuId)).totals.onHand).toBe(3);

    const again = await step(ops, p.sub, "undelivered", { outcome: "lost_in_transit" });
    expect(again.status).toBe(200);
    const other = await step(ops, p.sub, "undelivered", { outcome: "returned_to_origin" });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe("ILLEGAL_TRANSITION");
    expect(await money(p.sub)).toEqual(m);
    expect((await stockOf(p.skuId)).totals.onHand).toBe(3);
  });

  it("a restock that failed after the close is done by the carrier's repeat of its event, once", async () => {
    const p = await dispatched();
    let failed = 0;
    const stockDown = stockCalls({
      adjust:
        (call) =>
        async (...args) =>
          failed++ === 0 ? lost() : call(...args),
    });
    await expect(
      closeUndelivered(stockDown, undefined, {
        subOrderId: p.sub,
        who: "system",
        actor: { role: "system", id: "carrier:delhivery" },
        outcome: "returned_to_origin",
        note: null,
        now: new Date(),
      }),
    ).rejects.toThrow("Network connection lost.");
    expect((await money(p.sub))!.status).toBe("cancelled");
    expect((await stockOf(p.skuId)).totals.onHand).toBe(3);

    await carrierSays(p.awb, "returned_to_origin");
    await carrierSays(p.awb, "returned_to_origin");
    expect((await stockOf(p.skuId)).totals).toMatchObject({ onHand: 5, available: 5 });
    // The job pays the refund the stopped call left owed.
    await retryPendingRefunds(env, new Date(Date.now() + 10 * 60_000));
    const m = (await money(p.sub))!;
    expect([m.refunded, m.notes]).toEqual([m.total, 1]);
  });

  it("closed again asking otherwise of the shelf is refused, not answered as done", async () => {
    const p = await dispatched();
    await carrierSays(p.awb, "returned_to_origin");
    expect((await stockOf(p.skuId)).totals.onHand).toBe(5);
    // The vendor opens it: crushed. The carrier's close put the units back already.
    const damaged = await step(p.vendor, p.sub, "undelivered", { outcome: "returned_to_origin", restock: false });
    expect(damaged.status).toBe(409);
    expect(damaged.body).toMatchObject({ code: "CONFLICT", detail: expect.stringContaining("reason damage") });
    expect((await stockOf(p.skuId)).totals.onHand).toBe(5);
    expect((await step(p.vendor, p.sub, "undelivered", { outcome: "returned_to_origin" })).status).toBe(200);
  });

  it("a close that lost the race to the carrier's is refused when it asked otherwise of the shelf", async () => {
    const p = await dispatched();
    // The carrier's return (units back on the shelf) lands between the vendor's read and its write.
    const raced = d1Batches((batch, n) => async (...args) => {
      const read = await batch(...args);
      if (n === 1) await carrierSays(p.awb, "returned_to_origin");
      return read;
    });
    const crushed = await closeUndelivered(raced, undefined, {
      subOrderId: p.sub,
      who: "system",
      actor: { role: "vendor", id: p.vendorId },
      outcome: "returned_to_origin",
      restock: false,
      note: null,
      now: new Date(),
    });
    expect(crushed).toMatchObject({ ok: false, code: "CONFLICT", detail: expect.stringContaining("reason damage") });
    expect((await stockOf(p.skuId)).totals.onHand).toBe(5);
  });

  it("an old event for a closed parcel's AWB, now on a new parcel, is the closed one's", async () => {
    const a = await dispatched();
    await carrierSays(a.awb, "returned_to_origin");
    // The AWB is free again, and the carrier puts it on another parcel.
    const b = await dispatched();
    const barcode = (await api("GET", `/v1/sub-orders/${b.sub}`, { token: b.vendor })).body.lines[0].barcode;
    expect(barcode).toBeTruthy();
    const fix = await api("POST", `/v1/sub-orders/${b.sub}/awb`, {
      token: b.vendor,
      body: { carrier: "delhivery", awb: a.awb },
      headers: { "Idempotency-Key": `reuse-${b.sub}` },
    });
    expect(fix.status).toBe(200);
    // The carrier sends the first parcel's return again, dated hours before the new one left.
    await carrierSays(a.awb, "returned_to_origin", new Date(Date.now() - 8 * 3_600_000));
    expect((await money(b.sub))!.status).toBe("dispatched");
    // An event of the new parcel's own is its.
    await carrierSays(a.awb, "delivered");
    expect((await money(b.sub))!.status).toBe("delivered");
  });

  it("a vendor's parcel back damaged is refunded and kept off the shelf", async () => {
    const p = await dispatched();
    const closed = await step(p.vendor, p.sub, "undelivered", { outcome: "returned_to_origin", restock: false });
    expect(closed.status).toBe(200);
    expect((await stockOf(p.skuId)).totals.onHand).toBe(3);
    expect((await money(p.sub))!.notes).toBe(1);
  });

  it("is refused before dispatch, once delivered, with nonsense, and to another vendor, changing nothing", async () => {
    const p = await dispatched();
    const stranger = await tokenFor("vendor", {
      vendorId: (await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] })).vendorId,
    });
    expect((await step(stranger, p.sub, "undelivered", { outcome: "lost_in_transit" })).status).toBe(404);
    const bad = await step(ADMIN, p.sub, "undelivered", { outcome: "lost_in_transit", restock: true });
    expect(bad.status).toBe(422);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
    expect((await step(ADMIN, p.sub, "undelivered", { outcome: "stolen" })).status).toBe(422);
    // Only the system writes these reasons: a person's cancel may not claim one.
    const cancel = await step(ADMIN, p.sub, "cancel", { reason: "returned_to_origin" });
    expect(cancel.status).toBe(422);

    expect((await step(p.vendor, p.sub, "deliver")).status).toBe(200);
    const late = await step(ADMIN, p.sub, "undelivered", { outcome: "lost_in_transit" });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: "ILLEGAL_TRANSITION", allowed: ["return"] });
    const m = await money(p.sub);
    expect(m).toMatchObject({ status: "delivered", refunded: 0, notes: 0 });

    const q = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: q.skuId, qty: 1 }]);
    const sub = (await pay(shopper.token, placed.body.payment.id)).body.subOrders[0].id as string;
    const early = await step(ADMIN, sub, "undelivered", { outcome: "returned_to_origin" });
    expect(early.status).toBe(409);
    expect(early.body.allowed).toEqual(["confirm", "cancel"]);
  });

  it("racing the delivery, one of them lands whole: refunded once or delivered, never both", async () => {
    for (let round = 0; round < 6; round++) {
      const p = await dispatched();
      const [delivered, closed] = await Promise.all([
        step(p.vendor, p.sub, "deliver"),
        step(ADMIN, p.sub, "undelivered", { outcome: "returned_to_origin" }),
      ]);
      const m = (await money(p.sub))!;
      const onHand = (await stockOf(p.skuId)).totals.onHand;
      if (m.status === "delivered") {
        expect(delivered.status).toBe(200);
        expect(closed.status).toBe(409);
        expect([m.refunded, m.notes, onHand]).toEqual([0, 0, 3]);
      } else {
        expect(m.status).toBe("cancelled");
        expect(closed.status).toBe(200);
        expect(delivered.status).toBe(409);
        expect([m.refunded, m.notes, onHand]).toEqual([m.total, 1, 5]);
      }
      await expectStockEquation(p.skuId);
    }
  });
});
