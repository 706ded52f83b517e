import { describe, expect, it } from "vitest";
import { AUTO_REVIEW_NOTE } from "../../src/review/review";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { republish, subscribe } from "../support/feeds";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";

const NOTE = "shipping address is a parcel locker abroad";

const settle = () => new Promise((r) => setTimeout(r, 200));

async function watched(priceMinor: number) {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor });
  const ops = await tokenFor("ops");
  const opsFeed = await subscribe("/v1/feeds/ops", ops);
  const vendorFeed = await subscribe(
    `/v1/feeds/vendors/${s.vendorId}`,
    await tokenFor("vendor", { vendorId: s.vendorId }),
  );
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
  expect(placed.status).toBe(201);
  return {
    s,
    ops,
    opsFeed,
    vendorFeed,
    shopper,
    placed,
    orderId: placed.body.order.id as string,
    subId: placed.body.order.subOrders[0].id as string,
  };
}

describe("the vendor feed of an order held for review", () => {
  it("gets nothing while it is held, and its approval as a new order, without the ops note", async () => {
    const { s, ops, opsFeed, vendorFeed, shopper, placed, orderId, subId } = await watched(49_900);
    await vendorFeed.waitFor(orderId, "order.placed");

    expect((await api("POST", `/v1/orders/${orderId}/flag`, { token: ops, body: { note: NOTE } })).status).toBe(200);
    expect((await opsFeed.waitFor(orderId, "order.flagged")).data.note).toBe(NOTE);
    expect((await pay(shopper.token, placed.body.payment.id)).status).toBe(200);
    await opsFeed.waitFor(orderId, "order.paid");
    await settle();
    expect(vendorFeed.types(orderId)).toEqual(["order.placed"]);

    expect((await api("POST", `/v1/orders/${orderId}/approve`, { token: ops })).status).toBe(200);
    const arrival = await vendorFeed.waitFor(orderId, "order.approved");
    expect(arrival.data.subOrders).toEqual([{ id: subId, vendorId: s.vendorId }]);
    await opsFeed.waitFor(orderId, "order.approved");

    // The Queue fallback publishing everything again after the approval adds nothing.
    await republish(orderId);
    await settle();
    expect(vendorFeed.types(orderId)).toEqual(["order.placed", "order.approved"]);
    expect(JSON.stringify(vendorFeed.events(orderId))).not.toContain(NOTE);
  });

  it("held by the value rule at checkout and paid while held: silent until approval", async () => {
    const { s, ops, opsFeed, vendorFeed, shopper, placed, orderId, subId } = await watched(5_000_000);
    expect((await opsFeed.waitFor(orderId, "order.placed")).data.review).toEqual({
      held: true,
      note: AUTO_REVIEW_NOTE,
    });
    expect((await pay(shopper.token, placed.body.payment.id)).status).toBe(200);
    await opsFeed.waitFor(orderId, "order.paid");
    await republish(orderId);
    await settle();
    expect(vendorFeed.types(orderId)).toEqual([]);

    expect((await api("POST", `/v1/orders/${orderId}/approve`, { token: ops })).status).toBe(200);
    const arrival = await vendorFeed.waitFor(orderId, "order.approved");
    expect(arrival.data.subOrders).toEqual([{ id: subId, vendorId: s.vendorId }]);
    await republish(orderId);
    await settle();
    expect(vendorFeed.types(orderId)).toEqual(["order.approved"]);
    expect(JSON.stringify(vendorFeed.events(orderId))).not.toContain(AUTO_REVIEW_NOTE);
  });

  it("approved before payment: the vendor first hears of it when it is paid", async () => {
    const { opsFeed, vendorFeed, shopper, placed, orderId } = await watched(5_000_000);
    await opsFeed.waitFor(orderId, "order.placed");
    expect((await api("POST", `/v1/orders/${orderId}/approve`, { token: ADMIN })).status).toBe(200);
    await opsFeed.waitFor(orderId, "order.approved");
    expect((await pay(shopper.token, placed.body.payment.id)).status).toBe(200);
    await vendorFeed.waitFor(orderId, "order.paid");
    await republish(orderId);
    await settle();
    expect(vendorFeed.types(orderId)).toEqual(["order.paid"]);
  });
});
