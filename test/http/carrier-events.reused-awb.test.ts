import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, newCustomer, tokenFor } from "../support/api";
import { carrierSays } from "../support/carriers";
import { BENGALURU, checkout, expectStockEquation, pay, stockedSku } from "../support/marketplace";

let seq = 0;
/** A Delhivery AWB (13-14 digits) no other test of this file uses. */
const delhiveryAwb = () => `5${String(Date.now() % 1e9).padStart(9, "0")}${String(++seq).padStart(4, "0")}`;

const HOUR = 3_600_000;

const step = (token: string, sub: string, name: string, body?: unknown) =>
  api("POST", `/v1/sub-orders/${sub}/${name}`, { token, ...(body === undefined ? {} : { body }) });

/** A new shopper's paid order of two units of a new vendor's SKU, dispatched with Delhivery under `awb`. */
async function dispatchedWith(awb: string) {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: 2_000 });
  const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }]);
  const paid = await pay(shopper.token, placed.body.payment.id);
  const sub = paid.body.subOrders[0].id as string;
  expect((await step(vendor, sub, "confirm")).status).toBe(200);
  const barcode = (await api("GET", `/v1/sub-orders/${sub}`, { token: vendor })).body.lines[0].barcode;
  expect((await step(vendor, sub, "pack", { scanned: [barcode, barcode] })).status).toBe(200);
  expect((await step(vendor, sub, "dispatch", { carrier: "delhivery", awb })).status).toBe(200);
  return { ...s, sub };
}

/** The sub-order's status, what was refunded or is owed for it, and its SKU's levels. */
async function state(sub: string, skuId: string) {
  const row = await env.DB.prepare(
    `select s.status, s.cancellation_reason as reason,
            (select coalesce(sum(amount_minor), 0) from refunds where sub_order_id = s.id) as refunded,
            (select count(*) from pending_refunds where sub_order_id = s.id) as owed
     from sub_orders s where s.id = ?`,
  )
    .bind(sub)
    .first();
  const stock = (await expectStockEquation(skuId)).warehouses.map((w) => [w.onHand, w.held, w.committed]);
  return { ...row, stock };
}

describe("a return or loss event dated before the live parcel with its AWB left", () => {
  it("repeated for the closed parcel whose AWB a new parcel reuses, hours later: the closed one's, the new one untouched", async () => {
    const awb = delhiveryAwb();
    const a = await dispatchedWith(awb);
    // Parcel A left six hours ago and the carrier brought it back at T, four hours ago.
    const leftA = new Date(Date.now() - 6 * HOUR).toISOString().replace(/\.\d{3}Z$/, "Z");
    await env.DB.prepare("update sub_orders set dispatched_at = ? where id = ?").bind(leftA, a.sub).run();
    const t = new Date(Date.now() - 4 * HOUR);
    await carrierSays(awb, "returned_to_origin", t);
    const closedA = await state(a.sub, a.skuId);
    expect(closedA).toMatchObject({ status: "cancelled", reason: "returned_to_origin", stock: [[5, 0, 0]] });

    // The vendor ships parcel B under the freed label now, at T+4h.
    const b = await dispatchedWith(awb);
    const liveB = await state(b.sub, b.skuId);
    expect(liveB).toEqual({ status: "dispatched", reason: null, refunded: 0, owed: 0, stock: [[3, 0, 0]] });

    // The carrier repeats A's event, the same signed body: A's repeat, answered as one.
    await carrierSays(awb, "returned_to_origin", t);
    expect(await state(b.sub, b.skuId)).toEqual(liveB);
    expect(await state(a.sub, a.skuId)).toEqual(closedA);
  });

  it("about no closed parcel: ignored, the live one stays on its way; a delivery so dated still delivers it", async () => {
    const awb = delhiveryAwb();
    const p = await dispatchedWith(awb);
    const live = await state(p.sub, p.skuId);
    await carrierSays(awb, "lost", new Date(Date.now() - HOUR));
    await carrierSays(awb, "returned_to_origin", new Date(Date.now() - HOUR));
    expect(await state(p.sub, p.skuId)).toEqual(live);
    // Milestones and deliveries keep the clock-skew allowance: dated before dispatch, they count at it.
    await carrierSays(awb, "delivered", new Date(Date.now() - HOUR));
    expect(await state(p.sub, p.skuId)).toMatchObject({ status: "delivered", refunded: 0, owed: 0 });
  });
});
