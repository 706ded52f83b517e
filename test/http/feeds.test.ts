import {
  createExecutionContext,
  createMessageBatch,
  env,
  getQueueResult,
  runDurableObjectAlarm,
  SELF,
} from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { type EventFrame, ServerFrame, TOKEN_REVOKED_CLOSE, VendorStockData } from "../../src/contracts/feeds";
import { database } from "../../src/db/client";
import { findOutboxByKey } from "../../src/db/outbox";
import { publishOrderEvents } from "../../src/gateways/feeds";
import worker from "../../src/index";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { newVendorWithToken } from "../support/catalog";
import { BENGALURU, checkout, MUMBAI, pay, stockedSku } from "../support/marketplace";

const BASE = "https://oms.test";

/** A subscriber socket through the real Worker, recording every frame checked against the wire schema. */
class Client {
  readonly frames: unknown[] = [];
  closed: { code: number; reason: string } | null = null;

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
    });
    ws.addEventListener("message", (e) => {
      const text = e.data as string;
      this.frames.push(text === "pong" ? text : ServerFrame.parse(JSON.parse(text)));
    });
  }

  events(match: (e: EventFrame) => boolean = () => true): EventFrame[] {
    return this.frames.filter((f): f is EventFrame => typeof f === "object" && f !== null && "id" in f).filter(match);
  }

  async waitForEvents(n: number, match: (e: EventFrame) => boolean = () => true): Promise<EventFrame[]> {
    return vi.waitFor(
      () => {
        const got = this.events(match);
        if (got.length < n) throw new Error(`${got.length} of ${n} events in ${JSON.stringify(this.frames)}`);
        return got;
      },
      { timeout: 5_000, interval: 5 },
    );
  }
}

async function open(path: string, token?: string, headers: Record<string, string> = { Upgrade: "websocket" }) {
  const url = new URL(`${BASE}${path}`);
  if (token) url.searchParams.set("token", token);
  return SELF.fetch(url, { headers });
}

async function connect(path: string, token?: string): Promise<Client> {
  const res = await open(path, token);
  expect(res.status).toBe(101);
  const client = new Client(res.webSocket!);
  await vi.waitFor(() => expect(client.frames[0]).toMatchObject({ type: "hello" }));
  return client;
}

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  expect(await res.json()).toMatchObject({ status, code });
}

const settle = () => new Promise((r) => setTimeout(r, 150));

describe("feeds: who may subscribe", () => {
  it("ops feed: ops and admin only; customers and vendors 403, no token 401", async () => {
    const { token: vendorToken } = await newVendorWithToken();
    const shopper = await newCustomer();
    (await connect("/v1/feeds/ops", await tokenFor("ops"))).ws.close();
    (await connect("/v1/feeds/ops", ADMIN)).ws.close();
    await expectProblem(await open("/v1/feeds/ops", shopper.token), 403, "FORBIDDEN");
    await expectProblem(await open("/v1/feeds/ops", vendorToken), 403, "FORBIDDEN");
    await expectProblem(await open("/v1/feeds/ops"), 401, "UNAUTHENTICATED");
    await expectProblem(await open("/v1/feeds/ops", "not-a-token"), 401, "UNAUTHENTICATED");
  });

  it("vendor feed: that vendor, ops and admin; another vendor 404, a customer 403", async () => {
    const mine = await newVendorWithToken();
    const other = await newVendorWithToken();
    const shopper = await newCustomer();
    (await connect(`/v1/feeds/vendors/${mine.vendorId}`, mine.token)).ws.close();
    (await connect(`/v1/feeds/vendors/${mine.vendorId}`, await tokenFor("ops"))).ws.close();
    (await connect(`/v1/feeds/vendors/${mine.vendorId}`, ADMIN)).ws.close();
    await expectProblem(await open(`/v1/feeds/vendors/${mine.vendorId}`, other.token), 404, "NOT_FOUND");
    await expectProblem(await open(`/v1/feeds/vendors/${mine.vendorId}`, shopper.token), 403, "FORBIDDEN");
    await expectProblem(await open(`/v1/feeds/vendors/${mine.vendorId}`), 401, "UNAUTHENTICATED");
    await expectProblem(await open(`/v1/feeds/vendors/${uid("ven")}`, ADMIN), 404, "NOT_FOUND");
  });

  it("SKU feed: open to anyone without a token; an unknown SKU is 404", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 4 }] });
    (await connect(`/v1/feeds/skus/${s.skuId}`)).ws.close();
    await expectProblem(await open(`/v1/feeds/skus/${uid("sku")}`), 404, "NOT_FOUND");
  });

  it("takes the token from the Authorization header too", async () => {
    const res = await SELF.fetch(`${BASE}/v1/feeds/ops`, {
      headers: { Upgrade: "websocket", Authorization: `Bearer ${await tokenFor("ops")}` },
    });
    expect(res.status).toBe(101);
    res.webSocket!.accept();
    res.webSocket!.close();
  });

  it("a request without the WebSocket upgrade is a validation problem", async () => {
    await expectProblem(await open("/v1/feeds/ops", ADMIN, {}), 422, "VALIDATION_FAILED");
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] });
    await expectProblem(await open(`/v1/feeds/skus/${s.skuId}`, undefined, {}), 422, "VALIDATION_FAILED");
  });
});

describe("feeds: revoked tokens", () => {
  const newToken = async (body: Record<string, unknown>) =>
    (await api("POST", "/v1/tokens", { token: ADMIN, body })).body as { id: string; token: string };
  const feedStub = (name: string) => env.FEEDS.get(env.FEEDS.idFromName(name));

  it("closes the sockets of a revoked token at the next check, and only those", async () => {
    const { vendorId } = await newVendorWithToken();
    const phone = await newToken({ role: "vendor", vendorId });
    const desk = await newToken({ role: "vendor", vendorId });
    const ops = await newToken({ role: "ops" });
    const path = `/v1/feeds/vendors/${vendorId}`;
    const [onPhone, onDesk, opsWatching, opsFeed] = await Promise.all([
      connect(path, phone.token),
      connect(path, desk.token),
      connect(path, ops.token),
      connect("/v1/feeds/ops", ops.token),
    ]);

    expect((await api("DELETE", `/v1/tokens/${phone.id}`, { token: ADMIN })).status).toBe(204);
    expect((await api("DELETE", `/v1/tokens/${ops.id}`, { token: ADMIN })).status).toBe(204);
    expect(await runDurableObjectAlarm(feedStub(`vendor:${vendorId}`))).toBe(true);
    expect(await runDurableObjectAlarm(feedStub("ops"))).toBe(true);

    await vi.waitFor(() => {
      expect(onPhone.closed).toEqual({ code: TOKEN_REVOKED_CLOSE, reason: "token revoked" });
      expect(opsWatching.closed?.code).toBe(TOKEN_REVOKED_CLOSE);
      expect(opsFeed.closed?.code).toBe(TOKEN_REVOKED_CLOSE);
    });
    expect(onDesk.closed).toBeNull();
    await expectProblem(await open(path, phone.token), 401, "UNAUTHENTICATED");

    // The desk's token is still good: its socket still gets events, and the check stays armed.
    onDesk.ws.send("ping");
    await vi.waitFor(() => expect(onDesk.frames).toContain("pong"));
    expect(await runDurableObjectAlarm(feedStub(`vendor:${vendorId}`))).toBe(true);
    expect(onDesk.closed).toBeNull();
    onDesk.ws.close();
  });

  it("a storefront's SKU feed, with no token, never wakes for the check", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 2 }] });
    const shopper = await connect(`/v1/feeds/skus/${s.skuId}`);
    expect(await runDurableObjectAlarm(feedStub(`sku:${s.skuId}`))).toBe(false);
    shopper.ws.close();
  });
});

describe("feeds: what subscribers see", () => {
  it("a checkout and its payment reach the ops feed and the feeds of its vendors, and no other", async () => {
    const a = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const b = await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 5 }] });
    const unrelated = await newVendorWithToken();
    const aToken = await tokenFor("vendor", { vendorId: a.vendorId });

    const ops = await connect("/v1/feeds/ops", await tokenFor("ops"));
    const va = await connect(`/v1/feeds/vendors/${a.vendorId}`, aToken);
    const vb = await connect(`/v1/feeds/vendors/${b.vendorId}`, ADMIN);
    const vc = await connect(`/v1/feeds/vendors/${unrelated.vendorId}`, unrelated.token);

    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [
      { skuId: a.skuId, qty: 1 },
      { skuId: b.skuId, qty: 2 },
    ]);
    expect(placed.status).toBe(201);
    const orderId = placed.body.order.id as string;
    const subOf = (vendorId: string) => placed.body.order.subOrders.find((s: any) => s.vendorId === vendorId).id;
    expect((await pay(shopper.token, placed.body.payment.id)).status).toBe(200);

    const ofOrder = (e: EventFrame) => e.data.orderId === orderId;
    const opsEvents = await ops.waitForEvents(2, ofOrder);
    expect(opsEvents.map((e) => e.type)).toEqual(["order.placed", "order.paid"]);
    expect(opsEvents[1]!.data.subOrders).toHaveLength(2);
    expect(opsEvents[1]!.data.outboxId).toEqual(expect.any(Number));

    for (const [client, vendorId] of [
      [va, a.vendorId],
      [vb, b.vendorId],
    ] as const) {
      const got = (await client.waitForEvents(2, (e) => ofOrder(e) && e.type.startsWith("order."))).filter((e) =>
        e.type.startsWith("order."),
      );
      expect(got.map((e) => e.type)).toEqual(["order.placed", "order.paid"]);
      // Only its own sub-order: nothing about the other vendor's part of the order.
      for (const e of got) expect(e.data.subOrders).toEqual([{ id: subOf(vendorId), vendorId }]);
    }

    await settle();
    expect(vc.events()).toEqual([]);
    // Ids increase by one per feed, with no gaps.
    for (const c of [ops, va, vb]) {
      const ids = c.events().map((e) => e.id);
      expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
    }
  });

  it("the Queue fallback publishing an event again adds nothing to any feed", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const ops = await connect("/v1/feeds/ops", ADMIN);
    const vendor = await connect(`/v1/feeds/vendors/${s.vendorId}`, ADMIN);
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    const orderId = placed.body.order.id as string;
    const ofOrder = (e: EventFrame) => e.data.orderId === orderId;
    await ops.waitForEvents(1, ofOrder);
    await vendor.waitForEvents(1, ofOrder);

    const row = (await findOutboxByKey(database(env), `order.placed:${orderId}`))!;
    const body = {
      id: row.id,
      type: row.type,
      orderId: row.orderId,
      at: row.createdAt,
      payload: row.payload as Record<string, unknown>,
    };
    // Published again as the fallback consumer does, whether or not the real queue got there first.
    await publishOrderEvents(env, [body]);
    for (const attempt of [1, 2]) {
      const batch = createMessageBatch("order-events", [
        { id: uid("msg"), timestamp: new Date(), attempts: attempt, body },
      ]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env);
      expect((await getQueueResult(batch, ctx)).retryMessages).toEqual([]);
    }
    await settle();
    expect(ops.events(ofOrder)).toHaveLength(1);
    expect(vendor.events(ofOrder)).toHaveLength(1);
  });

  it("stock changes reach the SKU feed as available counts only, and the vendor feed in full", async () => {
    const s = await stockedSku({
      warehouses: [
        { at: BENGALURU, onHand: 5 },
        { at: MUMBAI, onHand: 2 },
      ],
    });
    const storefront = await connect(`/v1/feeds/skus/${s.skuId}`);
    const vendor = await connect(`/v1/feeds/vendors/${s.vendorId}`, ADMIN);

    const set = await api("PUT", `/v1/skus/${s.skuId}/stock`, {
      token: ADMIN,
      body: { warehouseId: s.warehouseIds[0], onHand: 9, expectedVersion: 1, reason: "count" },
    });
    expect(set.status).toBe(200);
    const [first] = await storefront.waitForEvents(1);
    expect(first).toMatchObject({ type: "stock.changed", data: { skuId: s.skuId, available: 11 } });
    // No vendor, warehouse or level other than the available total.
    expect(Object.keys(first!.data).sort()).toEqual(["available", "skuId"]);

    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 3 }]);
    expect(placed.status).toBe(201);
    await vi.waitFor(() => expect(storefront.events().at(-1)?.data).toEqual({ skuId: s.skuId, available: 8 }));

    const levels = await vendor.waitForEvents(1, (e) => e.type === "stock.changed" && e.data.totals !== undefined);
    await vi.waitFor(() =>
      expect(vendor.events((e) => e.type === "stock.changed").at(-1)?.data).toMatchObject({
        skuId: s.skuId,
        totals: { onHand: 11, available: 8, held: 3, committed: 0 },
      }),
    );
    expect(levels[0]!.data.warehouses).toHaveLength(2);
    // Each level's on-hand version, for a count made on screen to send back: only the counted one moved.
    const versions = VendorStockData.parse(levels[0]!.data).warehouses.map((w) => [w.warehouseId, w.version]);
    expect(Object.fromEntries(versions)).toEqual({ [s.warehouseIds[0]!]: 2, [s.warehouseIds[1]!]: 1 });
  });
});
