import { env, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { OrderEventMessage } from "../../src/contracts/events";
import { type EventFrame, ServerFrame } from "../../src/contracts/feeds";
import { publishOrderEvents } from "../../src/gateways/feeds";
import { AUTO_REVIEW_NOTE } from "../../src/review/review";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";

const NOTE = "shipping address is a parcel locker abroad";

/** A feed subscriber through the real Worker; every frame checked against the wire schema. */
async function subscribe(path: string, token: string) {
  const feed = path === "/v1/feeds/ops" ? "ops" : `vendor:${path.split("/").pop()}`;
  const minted = await api<{ ticket: string }>("POST", "/v1/feeds/tickets", { token, body: { feed } });
  expect(minted.status).toBe(201);
  const res = await SELF.fetch(`https://oms.test${path}?ticket=${encodeURIComponent(minted.body.ticket)}`, {
    headers: { Upgrade: "websocket" },
  });
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  const frames: unknown[] = [];
  ws.accept();
  ws.addEventListener("message", (e) => {
    const text = e.data as string;
    if (text !== "pong") frames.push(ServerFrame.parse(JSON.parse(text)));
  });
  await vi.waitFor(() => expect(frames[0]).toMatchObject({ type: "hello" }));
  const events = (orderId: string) =>
    frames.filter((f): f is EventFrame => "id" in (f as object) && (f as EventFrame).data.orderId === orderId);
  return {
    events,
    types: (orderId: string) => events(orderId).map((e) => e.type),
    waitFor: (orderId: string, type: string) =>
      vi.waitFor(
        () => {
          const got = events(orderId).find((e) => e.type === type);
          if (!got) throw new Error(`no ${type} in ${JSON.stringify(frames)}`);
          return got;
        },
        { timeout: 5_000, interval: 5 },
      ),
  };
}

const settle = () => new Promise((r) => setTimeout(r, 200));

/** Every outbox row of the order published again, as the Queue fallback would, whenever it runs. */
async function republish(orderId: string) {
  const rows = await env.DB.prepare("select * from outbox where order_id = ? order by id").bind(orderId).all<any>();
  const messages: OrderEventMessage[] = rows.results.map((r) => ({
    id: r.id,
    type: r.type,
    orderId: r.order_id,
    at: r.created_at,
    payload: JSON.parse(r.payload),
  }));
  await publishOrderEvents(env, messages);
}

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
