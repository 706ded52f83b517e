import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { refreshRollups } from "../../src/analytics/refresh";
import { localDay } from "../../src/domain/local-day";
import { config } from "../../src/platform/config";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { newProduct } from "../support/catalog";
import { BENGALURU, pay } from "../support/marketplace";
import { east, offer, order } from "./routing.fixtures";

// The roll-ups count every order of a day in the file's storage: this file keeps its own.

async function drain() {
  for (let i = 0; i < 100; i++) {
    const run = await refreshRollups(env, new Date());
    if (!run.continued && !run.conflicted) return;
  }
  throw new Error("the refresh never caught up");
}

describe("analytics of a reassigned order", () => {
  it("counts a sub-order emptied by a move to another vendor neither as a sub-order nor as a cancellation", async () => {
    const product = await newProduct();
    const a = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 3), onHand: 5 }] });
    const b = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 300), onHand: 5 }] });
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ productId: product.id, qty: 1 }]);
    expect(placed.status).toBe(201);
    const subA = placed.body.order.subOrders[0];
    expect(subA.vendorId).toBe(a.vendorId);
    expect((await pay(shopper.token, placed.body.payment.id)).body.status).toBe("paid");
    const moved = await api("POST", `/v1/sub-orders/${subA.id}/reassign`, {
      token: ADMIN,
      headers: { "Idempotency-Key": uid("ra-") },
      body: { target: { vendorId: b.vendorId }, reason: "A is closed today" },
    });
    expect(moved.status).toBe(200);
    await drain();

    // One shipment, from B, nothing cancelled: what the shopper sees.
    const day = localDay(new Date(), config(env).timeZone);
    const ops = await tokenFor("ops");
    const platform = await api("GET", `/v1/analytics/platform?from=${day}&to=${day}`, { token: ops });
    expect(platform.status).toBe(200);
    expect(platform.body.totals).toMatchObject({
      ordersPaid: 1,
      subOrders: 1,
      cancelledSubOrders: 0,
      cancellationRateBps: 0,
      fulfilmentErrorRateBps: 0,
      avgSellersPerCartX100: 100,
    });
    const ofA = await api("GET", `/v1/analytics/vendors/${a.vendorId}?from=${day}&to=${day}`, { token: ADMIN });
    expect(ofA.body.totals).toMatchObject({ subOrders: 0, cancelledSubOrders: 0, cancellationRateBps: 0 });
    const ofB = await api("GET", `/v1/analytics/vendors/${b.vendorId}?from=${day}&to=${day}`, { token: ADMIN });
    expect(ofB.body.totals).toMatchObject({ subOrders: 1, units: 1, cancelledSubOrders: 0 });
    const top = await api("GET", `/v1/analytics/platform/top-vendors?from=${day}&to=${day}`, { token: ops });
    expect(top.body.totals.activeVendors).toBe(1);
  });
});
