import { env, listDurableObjectIds, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { CustomerOrderEventData, type EventFrame, type FeedTicket, ServerFrame } from "../../src/contracts/feeds";
import { publishOrderEvents } from "../../src/gateways/feeds";
import { api, newCustomer, tokenFor, uid } from "../support/api";
import { outboxMessages } from "../support/feeds";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";

/** A socket on the real Worker, keeping every frame checked against the wire schema. */
class Client {
  readonly frames: unknown[] = [];
  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("message", (e) => {
      const text = e.data as string;
      this.frames.push(text === "pong" ? text : ServerFrame.parse(JSON.parse(text)));
    });
  }
  events(): EventFrame[] {
    return this.frames.filter((f): f is EventFrame => typeof f === "object" && f !== null && "id" in f);
  }
  async waitFor(type: string): Promise<EventFrame> {
    return vi.waitFor(
      () => {
        const e = this.events().find((x) => x.type === type);
        if (!e) throw new Error(`no ${type} in ${JSON.stringify(this.frames)}`);
        return e;
      },
      { timeout: 5_000, interval: 5 },
    );
  }
}

const mint = (token: string, feed: string) => api<FeedTicket>("POST", "/v1/feeds/tickets", { token, body: { feed } });

async function connect(customerId: string, token: string): Promise<Client> {
  const minted = await mint(token, `customer:${customerId}`);
  expect(minted.status).toBe(201);
  const url = new URL(`https://oms.test/v1/feeds/customers/${customerId}`);
  url.searchParams.set("ticket", minted.body.ticket);
  const res = await SELF.fetch(url, { headers: { Upgrade: "websocket" } });
  expect(res.status).toBe(101);
  const client = new Client(res.webSocket!);
  await vi.waitFor(() => expect(client.frames[0]).toMatchObject({ type: "hello" }));
  return client;
}

const step = (token: string, sub: string, name: string, body?: unknown) =>
  api("POST", `/v1/sub-orders/${sub}/${name}`, { token, ...(body === undefined ? {} : { body }) });

describe("a shopper's own feed", () => {
  it("mints for its own customer only: another customer's is 404, a vendor's try 403, ops may", async () => {
    const me = await newCustomer();
    const other = await newCustomer();
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
    expect((await mint(me.token, `customer:${me.customerId}`)).status).toBe(201);
    expect((await mint(other.token, `customer:${me.customerId}`)).status).toBe(404);
    expect((await mint(vendor, `customer:${me.customerId}`)).status).toBe(403);
    expect((await mint(await tokenFor("ops"), `customer:${me.customerId}`)).status).toBe(201);
    expect((await mint(me.token, `customer:${uid("cus_")}`)).status).toBe(404);
    // Without a ticket, or with one for another feed, the socket does not open.
    const bare = await SELF.fetch(`https://oms.test/v1/feeds/customers/${me.customerId}`, {
      headers: { Upgrade: "websocket" },
    });
    expect(bare.status).toBe(401);
    const mine = (await mint(other.token, `customer:${other.customerId}`)).body.ticket;
    const wrong = await SELF.fetch(`https://oms.test/v1/feeds/customers/${me.customerId}?ticket=${mine}`, {
      headers: { Upgrade: "websocket" },
    });
    expect(wrong.status).toBe(401);
  });

  it("carries the shopper's own order events, the dispatch with carrier and AWB, and no note, money or other order", async () => {
    const NOTE = `ops-only ${uid()}`;
    const me = await newCustomer();
    const other = await newCustomer();
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: 1_000 });
    const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
    const ops = await tokenFor("ops");
    const feed = await connect(me.customerId, me.token);
    const theirs = await checkout(other.token, [{ skuId: s.skuId, qty: 1 }]);
    const placed = await checkout(me.token, [{ skuId: s.skuId, qty: 1 }]);
    expect(placed.status).toBe(201);
    const orderId = placed.body.order.id as string;
    const paid = await pay(me.token, placed.body.payment.id);
    const sub = paid.body.subOrders[0].id as string;
    await feed.waitFor("order.paid");
    expect((await api("POST", `/v1/orders/${orderId}/flag`, { token: ops, body: { note: NOTE } })).status).toBe(200);
    await feed.waitFor("order.flagged");
    expect((await api("POST", `/v1/orders/${orderId}/approve`, { token: ops })).status).toBe(200);
    await feed.waitFor("order.approved");
    expect((await step(vendor, sub, "confirm")).status).toBe(200);
    const scans = (await api("GET", `/v1/sub-orders/${sub}`, { token: vendor })).body.lines.map((l: any) => l.barcode);
    expect((await step(vendor, sub, "pack", { scanned: scans })).status).toBe(200);
    const awb = `${Date.now()}`.padStart(13, "9").slice(0, 13);
    expect((await step(vendor, sub, "dispatch", { carrier: "delhivery", awb })).status).toBe(200);
    const dispatched = await feed.waitFor("sub_order.dispatched");
    expect(dispatched.data).toMatchObject({ orderId, subOrderId: sub, carrier: "delhivery", awb });
    for (const e of feed.events()) {
      // Only the whitelisted fields, only this shopper's order.
      CustomerOrderEventData.parse(e.data);
      expect(e.data.orderId).toBe(orderId);
    }
    const wire = JSON.stringify(feed.frames);
    expect(wire).not.toContain(NOTE);
    expect(wire).not.toContain(theirs.body.order.id);
    expect(wire).not.toContain("amountMinor");
    // What the shopper reads back: held shows as held, with no note; the parcel's carrier and AWB.
    const view = await api("GET", `/v1/orders/${orderId}`, { token: me.token });
    expect(JSON.stringify(view.body)).not.toContain(NOTE);
    expect(view.body.subOrders[0]).toMatchObject({ carrier: "delhivery", awb, vendorName: expect.any(String) });
    feed.ws.close();
  });

  it("reaches a shopper who opens their feed right after checkout: their order's later events arrive", async () => {
    const me = await newCustomer();
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 2 }] });
    const placed = await checkout(me.token, [{ skuId: s.skuId, qty: 1 }]);
    expect(placed.status).toBe(201);
    const orderId = placed.body.order.id as string;
    const feed = await connect(me.customerId, me.token);
    // What the page reloads on its first hello: the order is already there.
    expect((await api("GET", `/v1/orders/${orderId}`, { token: me.token })).status).toBe(200);
    await pay(me.token, placed.body.payment.id);
    expect((await feed.waitFor("order.paid")).data).toMatchObject({ orderId });
    feed.ws.close();
  });

  it("creates no feed object for a shopper who never asked for their feed, however their order's events are published", async () => {
    const quiet = await newCustomer();
    const watching = await newCustomer();
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 2 }] });
    const feed = await connect(watching.customerId, watching.token);
    const orders: string[] = [];
    for (const shopper of [quiet, watching]) {
      const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
      expect(placed.status).toBe(201);
      await pay(shopper.token, placed.body.payment.id);
      orders.push(placed.body.order.id as string);
    }
    await feed.waitFor("order.paid");
    // Every outbox row of both orders published again, as the Queue consumer would.
    const messages = await outboxMessages(...orders);
    expect(messages.filter((m) => m.orderId === orders[0]).length).toBeGreaterThan(0);
    await publishOrderEvents(env, messages);
    // Objects exist in storage once created (each writes its schema): the watched shopper's is
    // there, the quiet one's never was.
    const ids = (await listDurableObjectIds(env.FEEDS)).map((id) => id.toString());
    expect(ids).toContain(env.FEEDS.idFromName(`customer:${watching.customerId}`).toString());
    expect(ids).not.toContain(env.FEEDS.idFromName(`customer:${quiet.customerId}`).toString());
    feed.ws.close();
  });

  it("answers 404 for another customer's order on every read path", async () => {
    const me = await newCustomer();
    const other = await newCustomer();
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 2 }] });
    const placed = await checkout(other.token, [{ skuId: s.skuId, qty: 1 }]);
    const paid = await pay(other.token, placed.body.payment.id);
    const orderId = placed.body.order.id as string;
    const sub = paid.body.subOrders[0].id as string;
    expect((await api("GET", `/v1/orders/${orderId}`, { token: me.token })).status).toBe(404);
    // Sub-orders and their photos are for vendors and ops: a shopper is refused outright, ids unseen.
    expect((await api("GET", `/v1/sub-orders/${sub}`, { token: me.token })).status).toBe(403);
    expect((await api("GET", `/v1/sub-orders/${sub}/photo`, { token: me.token })).status).toBe(403);
    const listed = await api("GET", "/v1/orders", { token: me.token });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([]);
  });
});

describe("the marketplace's own work on an order", () => {
  it("stays off the shopper's timeline and feed (the SLA nudge, the proof-of-shipment photo); its vendor and ops see both", async () => {
    const me = await newCustomer();
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 2 }], vendor: { dispatchSlaHours: 24 } });
    const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
    const feed = await connect(me.customerId, me.token);
    const placed = await checkout(me.token, [{ skuId: s.skuId, qty: 1 }]);
    const orderId = placed.body.order.id as string;
    const sub = (await pay(me.token, placed.body.payment.id)).body.subOrders[0].id as string;
    const photo = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 0xff, 0xd9]);
    const upload = await api("PUT", `/v1/sub-orders/${sub}/photo`, {
      token: vendor,
      rawBody: photo,
      headers: { "content-type": "image/jpeg" },
    });
    expect(upload.status).toBe(204);
    // 20 h into a 24 h dispatch window: inside the nudge's lead.
    const watcher = await api("POST", "/v1/admin/jobs/sla-watcher/run", {
      token: await tokenFor("admin"),
      body: { now: new Date(Date.now() + 20 * 3_600_000).toISOString() },
    });
    expect(watcher.status).toBe(200);
    expect((await step(vendor, sub, "confirm")).status).toBe(200);

    // Every outbox row of the order published again, as the Queue consumer would: the nudge among them.
    const rows = await env.DB.prepare("SELECT * FROM outbox WHERE order_id = ? ORDER BY id")
      .bind(orderId)
      .all<{ id: number; type: string; order_id: string; created_at: string; payload: string }>();
    expect(rows.results.map((r) => r.type)).toContain("sub_order.sla_nudge");
    await publishOrderEvents(
      env,
      rows.results.map((r) => ({
        id: r.id,
        type: r.type,
        orderId: r.order_id,
        at: r.created_at,
        payload: JSON.parse(r.payload),
      })),
    );
    await feed.waitFor("sub_order.confirmed");
    const internal = ["sub_order.sla_nudge", "sub_order.photo_added"];
    expect(feed.events().map((e) => e.type)).not.toContain("sub_order.sla_nudge");

    const types = async (token: string) =>
      ((await api("GET", `/v1/orders/${orderId}`, { token })).body.timeline as { type: string }[]).map((e) => e.type);
    const mine = await types(me.token);
    expect(mine).toEqual(expect.arrayContaining(["order.placed", "order.paid", "sub_order.confirmed"]));
    for (const type of internal) expect(mine).not.toContain(type);
    for (const token of [vendor, await tokenFor("ops")])
      expect(await types(token)).toEqual(expect.arrayContaining(internal));
    feed.ws.close();
  });
});
