import {
  createExecutionContext,
  createMessageBatch,
  env,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
  SELF,
} from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import {
  type EventFrame,
  FEED_TICKET_SECONDS,
  type FeedTicket,
  ServerFrame,
  TOKEN_REVOKED_CLOSE,
  VendorStockData,
} from "../../src/contracts/feeds";
import { database } from "../../src/db/client";
import { findOutboxByKey } from "../../src/db/outbox";
import { findPrincipalByTokenHash } from "../../src/db/tokens";
import { sha256Hex } from "../../src/domain/crypto";
import { publishOrderEvents } from "../../src/gateways/feeds";
import worker from "../../src/index";
import { issueFeedTicket } from "../../src/live-feeds/tickets";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { newVendorWithToken } from "../support/catalog";
import { BENGALURU, checkout, customers, MUMBAI, pay, stockedSku } from "../support/marketplace";
import { nearAndDearOffers, order } from "./routing.fixtures";

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

/** `/v1/feeds/ops` -> `ops`, `/v1/feeds/vendors/x` -> `vendor:x`, `/v1/feeds/customers/x` -> `customer:x`, ... */
function feedOf(path: string): string {
  const m = /^\/v1\/feeds\/(?:(ops)|(vendor|customer|sku)s\/(.+))$/.exec(path);
  if (!m) throw new Error(`not a feed path: ${path}`);
  return m[1] ? "ops" : `${m[2]}:${m[3]}`;
}

const mint = (token: string | undefined, feed: string, headers?: Record<string, string>) =>
  api<FeedTicket>("POST", "/v1/feeds/tickets", { token, body: { feed }, headers });

async function ticketFor(token: string, path: string): Promise<string> {
  const res = await mint(token, feedOf(path));
  expect(res.status).toBe(201);
  return res.body.ticket;
}

async function open(path: string, ticket?: string, headers: Record<string, string> = { Upgrade: "websocket" }) {
  const url = new URL(`${BASE}${path}`);
  if (ticket) url.searchParams.set("ticket", ticket);
  return SELF.fetch(url, { headers });
}

/** Opens `path` as the holder of `token` (a fresh ticket), or anonymously without one. */
async function connect(path: string, token?: string): Promise<Client> {
  const res = await open(path, token ? await ticketFor(token, path) : undefined);
  expect(res.status).toBe(101);
  const client = new Client(res.webSocket!);
  await vi.waitFor(() => expect(client.frames[0]).toMatchObject({ type: "hello" }));
  return client;
}

async function expectProblem(res: Response | { status: number; body: unknown }, status: number, code: string) {
  expect(res.status).toBe(status);
  if (res instanceof Response) {
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(await res.json()).toMatchObject({ status, code });
  } else {
    expect(res.body).toMatchObject({ status, code });
  }
}

const settle = () => new Promise((r) => setTimeout(r, 150));

describe("feeds: who may mint a ticket for which feed", () => {
  it("ops feed: ops and admin only; customers and vendors 403, no token 401", async () => {
    const { token: vendorToken } = await newVendorWithToken();
    const shopper = await newCustomer();
    (await connect("/v1/feeds/ops", await tokenFor("ops"))).ws.close();
    (await connect("/v1/feeds/ops", ADMIN)).ws.close();
    await expectProblem(await mint(shopper.token, "ops"), 403, "FORBIDDEN");
    await expectProblem(await mint(vendorToken, "ops"), 403, "FORBIDDEN");
    await expectProblem(await mint(undefined, "ops"), 401, "UNAUTHENTICATED");
    await expectProblem(await mint("not-a-token", "ops"), 401, "UNAUTHENTICATED");
  });

  it("vendor feed: that vendor, ops and admin; another vendor 404, a customer 403", async () => {
    const mine = await newVendorWithToken();
    const other = await newVendorWithToken();
    const shopper = await newCustomer();
    const path = `/v1/feeds/vendors/${mine.vendorId}`;
    (await connect(path, mine.token)).ws.close();
    (await connect(path, await tokenFor("ops"))).ws.close();
    (await connect(path, ADMIN)).ws.close();
    const refused = await mint(other.token, `vendor:${mine.vendorId}`);
    await expectProblem(refused, 404, "NOT_FOUND");
    // Worded like a vendor that does not exist: nothing to learn about other vendors.
    const missing = `vendor:${uid("ven")}`;
    const unknown = await mint(ADMIN, missing);
    await expectProblem(unknown, 404, "NOT_FOUND");
    expect((refused.body as unknown as { detail: string }).detail).toBe(`No feed vendor:${mine.vendorId}`);
    expect((unknown.body as unknown as { detail: string }).detail).toBe(`No feed ${missing}`);
    await expectProblem(await mint(shopper.token, `vendor:${mine.vendorId}`), 403, "FORBIDDEN");
    await expectProblem(await mint(undefined, `vendor:${mine.vendorId}`), 401, "UNAUTHENTICATED");
  });

  it("SKU feed: open to anyone without a ticket, and to any signed-in caller with one; an unknown SKU is 404", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 4 }] });
    const shopper = await newCustomer();
    (await connect(`/v1/feeds/skus/${s.skuId}`)).ws.close();
    (await connect(`/v1/feeds/skus/${s.skuId}`, shopper.token)).ws.close();
    await expectProblem(await open(`/v1/feeds/skus/${uid("sku")}`), 404, "NOT_FOUND");
    await expectProblem(await mint(shopper.token, `sku:${uid("sku")}`), 404, "NOT_FOUND");
  });

  it("a feed name that is none of ops, vendor:<id>, sku:<id> is a validation problem", async () => {
    for (const feed of ["all", "vendor:", "vendors:ven_1", "sku:a b", "ops:x"]) {
      await expectProblem(await mint(ADMIN, feed), 422, "VALIDATION_FAILED");
    }
  });

  it("a request without the WebSocket upgrade is a validation problem, and spends no ticket", async () => {
    const ticket = await ticketFor(ADMIN, "/v1/feeds/ops");
    await expectProblem(await open("/v1/feeds/ops", ticket, {}), 422, "VALIDATION_FAILED");
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] });
    await expectProblem(await open(`/v1/feeds/skus/${s.skuId}`, undefined, {}), 422, "VALIDATION_FAILED");
    const res = await open("/v1/feeds/ops", ticket);
    expect(res.status).toBe(101);
    res.webSocket!.accept();
    res.webSocket!.close();
  });
});

describe("feeds: tickets", () => {
  const upgraded = (res: Response) => {
    if (res.status !== 101) return false;
    res.webSocket!.accept();
    res.webSocket!.close();
    return true;
  };

  it("a ticket opens one socket: used again, or by several at once, only the first gets in", async () => {
    const path = "/v1/feeds/ops";
    const ticket = await ticketFor(await tokenFor("ops"), path);
    expect(upgraded(await open(path, ticket))).toBe(true);
    await expectProblem(await open(path, ticket), 401, "UNAUTHENTICATED");

    const contested = await ticketFor(ADMIN, path);
    const tries = await Promise.all(Array.from({ length: 6 }, () => open(path, contested)));
    expect(tries.map(upgraded).filter(Boolean)).toHaveLength(1);
    for (const res of tries.filter((r) => r.status !== 101)) await expectProblem(res, 401, "UNAUTHENTICATED");
  });

  it(`expires ${FEED_TICKET_SECONDS} s after it was minted`, async () => {
    const admin = { role: "admin", tokenId: "bootstrap" } as const;
    const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);
    const stale = await issueFeedTicket(env, admin, { kind: "ops" }, ago(FEED_TICKET_SECONDS + 1));
    const fresh = await issueFeedTicket(env, admin, { kind: "ops" }, ago(FEED_TICKET_SECONDS - 10));
    if (!stale.ok || !fresh.ok) throw new Error("not minted");
    expect(Date.parse(stale.ticket.expiresAt)).toBeLessThan(Date.now());
    await expectProblem(await open("/v1/feeds/ops", stale.ticket.ticket), 401, "UNAUTHENTICATED");
    expect(upgraded(await open("/v1/feeds/ops", fresh.ticket.ticket))).toBe(true);
  });

  it("opens only the feed it was minted for; tried elsewhere it is refused and not spent", async () => {
    const a = await newVendorWithToken();
    const b = await newVendorWithToken();
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const ticket = await ticketFor(ADMIN, `/v1/feeds/vendors/${a.vendorId}`);
    for (const elsewhere of ["/v1/feeds/ops", `/v1/feeds/vendors/${b.vendorId}`, `/v1/feeds/skus/${s.skuId}`]) {
      await expectProblem(await open(elsewhere, ticket), 401, "UNAUTHENTICATED");
    }
    expect(upgraded(await open(`/v1/feeds/vendors/${a.vendorId}`, ticket))).toBe(true);
  });

  it("no token opens a feed: not in the URL, not in the header, not as a ticket", async () => {
    const ops = await tokenFor("ops");
    const url = new URL(`${BASE}/v1/feeds/ops`);
    url.searchParams.set("token", ops);
    await expectProblem(await SELF.fetch(url, { headers: { Upgrade: "websocket" } }), 401, "UNAUTHENTICATED");
    await expectProblem(
      await SELF.fetch(`${BASE}/v1/feeds/ops`, { headers: { Upgrade: "websocket", Authorization: `Bearer ${ops}` } }),
      401,
      "UNAUTHENTICATED",
    );
    await expectProblem(await open("/v1/feeds/ops", ops), 401, "UNAUTHENTICATED");
    await expectProblem(await open("/v1/feeds/ops", "fdt_made-up"), 401, "UNAUTHENTICATED");
  });

  it("is stored only as its hash, and never replayed by an Idempotency-Key", async () => {
    const headers = { "idempotency-key": uid("key") };
    const first = await mint(ADMIN, "ops", headers);
    const second = await mint(ADMIN, "ops", headers);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBeNull();
    expect(second.body.ticket).not.toBe(first.body.ticket);
    expect(first.body.ticket).toMatch(/^fdt_[\w-]{43}$/);

    const stored = await env.DB.prepare("SELECT * FROM feed_tickets").all();
    const dump = JSON.stringify(stored.results);
    expect(dump).toContain(await sha256Hex(first.body.ticket));
    expect(dump).not.toContain(first.body.ticket);
    const kept = await env.DB.prepare("SELECT response_body FROM idempotency_keys WHERE key = ?")
      .bind(headers["idempotency-key"])
      .all();
    expect(kept.results).toEqual([]);
  });
});

describe("feeds: revoked tokens", () => {
  const newToken = async (body: Record<string, unknown>) =>
    (await api("POST", "/v1/tokens", { token: ADMIN, body })).body as { id: string; token: string };
  const feedStub = (name: string) => env.FEEDS.get(env.FEEDS.idFromName(name));
  const customerTokenId = async (customerId: string) =>
    (await env.DB.prepare("select id from api_tokens where customer_id = ?").bind(customerId).first<{ id: string }>())!
      .id;

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

    // A revoked token is refused within 30 s everywhere, its open sockets included.
    const armed = await runInDurableObject(feedStub(`vendor:${vendorId}`), (_, state) => state.storage.getAlarm());
    expect(armed).not.toBeNull();
    expect(armed! - Date.now()).toBeLessThanOrEqual(30_000);

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
    await expectProblem(await mint(phone.token, `vendor:${vendorId}`), 401, "UNAUTHENTICATED");

    // The desk's token is still good: its socket still gets events, and the check stays armed.
    onDesk.ws.send("ping");
    await vi.waitFor(() => expect(onDesk.frames).toContain("pong"));
    expect(await runDurableObjectAlarm(feedStub(`vendor:${vendorId}`))).toBe(true);
    expect(onDesk.closed).toBeNull();
    onDesk.ws.close();
  });

  it("a socket of the bootstrap token, which no row can revoke, wakes the feed for no check", async () => {
    const { vendorId } = await newVendorWithToken();
    const name = `vendor:${vendorId}`;
    const admin = await connect(`/v1/feeds/vendors/${vendorId}`, ADMIN);
    expect(await runDurableObjectAlarm(feedStub(name))).toBe(false);
    expect(admin.closed).toBeNull();
    admin.ws.close();
  });

  it("a socket remembers the id of the token behind its ticket; a ticket whose token was revoked opens nothing", async () => {
    const { vendorId } = await newVendorWithToken();
    const phone = await newToken({ role: "vendor", vendorId });
    const path = `/v1/feeds/vendors/${vendorId}`;
    const onPhone = await connect(path, phone.token);
    await runInDurableObject(feedStub(`vendor:${vendorId}`), (_feed, state) => {
      expect(state.getWebSockets().map((ws) => ws.deserializeAttachment())).toContainEqual({
        role: "vendor",
        principalId: vendorId,
        tokenId: phone.id,
      });
    });
    const unused = await ticketFor(phone.token, path);
    expect((await api("DELETE", `/v1/tokens/${phone.id}`, { token: ADMIN })).status).toBe(204);
    await expectProblem(await open(path, unused), 401, "UNAUTHENTICATED");
    onPhone.ws.close();
  });

  it("closes the sockets of an expired token at the next check, but not a guest's its open order keeps", async () => {
    const { vendorId } = await newVendorWithToken();
    const session = await newToken({ role: "vendor", vendorId });
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 2 }] });
    const ordered = await newCustomer();
    expect((await checkout(ordered.token, [{ skuId: sku.skuId, qty: 1 }])).status).toBe(201);
    const idle = await newCustomer();
    const vendorPath = `/v1/feeds/vendors/${vendorId}`;
    const [onSession, onOrdered, onIdle] = await Promise.all([
      connect(vendorPath, session.token),
      connect(`/v1/feeds/customers/${ordered.customerId}`, ordered.token),
      connect(`/v1/feeds/customers/${idle.customerId}`, idle.token),
    ]);
    // All three reach their expiry: the API refuses the vendor's and the idle guest's from then on.
    const tokenIds = [session.id, ...(await Promise.all([ordered, idle].map((c) => customerTokenId(c.customerId))))];
    await env.DB.prepare("update api_tokens set expires_at = ? where id in (?, ?, ?)")
      .bind("2000-01-01T00:00:00Z", ...tokenIds)
      .run();
    const principal = async (token: string) =>
      findPrincipalByTokenHash(database(env), await sha256Hex(token), new Date());
    expect(await principal(session.token)).toBeNull();
    expect(await principal(idle.token)).toBeNull();
    expect(await principal(ordered.token)).not.toBeNull();

    for (const name of [`vendor:${vendorId}`, `customer:${ordered.customerId}`, `customer:${idle.customerId}`]) {
      expect(await runDurableObjectAlarm(feedStub(name))).toBe(true);
    }
    await vi.waitFor(() => {
      expect(onSession.closed).toEqual({ code: TOKEN_REVOKED_CLOSE, reason: "token expired" });
      expect(onIdle.closed).toEqual({ code: TOKEN_REVOKED_CLOSE, reason: "token expired" });
    });
    expect(onOrdered.closed).toBeNull();
    expect(await runDurableObjectAlarm(feedStub(`customer:${ordered.customerId}`))).toBe(true);
    expect(onOrdered.closed).toBeNull();
    onOrdered.ws.close();
  });

  it("checks again later when D1 cannot be read, then closes the revoked token's socket", async () => {
    const { vendorId } = await newVendorWithToken();
    const phone = await newToken({ role: "vendor", vendorId });
    const onPhone = await connect(`/v1/feeds/vendors/${vendorId}`, phone.token);
    const feed = feedStub(`vendor:${vendorId}`);
    expect((await api("DELETE", `/v1/tokens/${phone.id}`, { token: ADMIN })).status).toBe(204);
    // D1 fails the check: its table is out of reach for one alarm.
    await env.DB.prepare("alter table api_tokens rename to api_tokens_away").run();
    try {
      await runDurableObjectAlarm(feed);
    } finally {
      await env.DB.prepare("alter table api_tokens_away rename to api_tokens").run();
    }
    expect(onPhone.closed).toBeNull();
    expect(await runInDurableObject(feed, (_f, state) => state.storage.getAlarm())).not.toBeNull();
    expect(await runDurableObjectAlarm(feed)).toBe(true);
    await vi.waitFor(() => expect(onPhone.closed).toEqual({ code: TOKEN_REVOKED_CLOSE, reason: "token revoked" }));
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

  it("a move to another vendor reaches each vendor as its own side only, and ops in full", async () => {
    const { product, a, b } = await nearAndDearOffers();
    const aToken = await tokenFor("vendor", { vendorId: a.vendorId });
    const bToken = await tokenFor("vendor", { vendorId: b.vendorId });
    const [ops, va, vb] = await Promise.all([
      connect("/v1/feeds/ops", ADMIN),
      connect(`/v1/feeds/vendors/${a.vendorId}`, aToken),
      connect(`/v1/feeds/vendors/${b.vendorId}`, bToken),
    ]);
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ productId: product.id, qty: 2 }]);
    const orderId = placed.body.order.id as string;
    const sub = placed.body.order.subOrders[0];
    expect(sub.vendorId).toBe(a.vendorId);
    await pay(shopper.token, placed.body.payment.id);
    const moved = await api("POST", `/v1/sub-orders/${sub.id}/reassign`, {
      token: ADMIN,
      headers: { "Idempotency-Key": uid("ra-") },
      body: { target: { skuId: b.skuId }, reason: "moved" },
    });
    expect(moved.status).toBe(200);
    const toSub = moved.body.subOrders.find((s: any) => s.vendorId === b.vendorId).id as string;
    const lineId = sub.lines[0].id as string;
    const ofMove = (e: EventFrame) => e.data.orderId === orderId && e.type.startsWith("sub_order.reassigned");

    const [full] = await ops.waitForEvents(1, ofMove);
    expect(full).toMatchObject({
      type: "sub_order.reassigned",
      data: { subOrderId: sub.id, vendorId: a.vendorId, toSubOrderId: toSub, toVendorId: b.vendorId },
    });
    // The source vendor learns which of its units left, never who took them.
    const [out] = await va.waitForEvents(1, ofMove);
    expect(out!.type).toBe("sub_order.reassigned");
    expect(out!.data).toEqual({
      orderId,
      outboxId: full!.data.outboxId,
      subOrderId: sub.id,
      vendorId: a.vendorId,
      moves: [{ lineId, skuId: a.skuId, warehouseId: a.warehouseIds[0], qty: 2 }],
    });
    // The target vendor learns of work arriving in its own sub-order, never where it came from.
    const [arrived] = await vb.waitForEvents(1, ofMove);
    expect(arrived!.type).toBe("sub_order.reassigned_in");
    expect(arrived!.data).toEqual({
      orderId,
      outboxId: full!.data.outboxId,
      subOrderId: toSub,
      vendorId: b.vendorId,
      moves: [{ skuId: b.skuId, warehouseId: b.warehouseIds[0], qty: 2 }],
    });

    // Nor do their own reads of the order and sub-order name the other side.
    for (const [token, own, other] of [
      [aToken, sub.id, [b.vendorId, b.skuId, b.warehouseIds[0], toSub]],
      [bToken, toSub, [a.vendorId, a.skuId, a.warehouseIds[0], sub.id, lineId]],
    ] as const) {
      const seen = JSON.stringify([
        (await api("GET", `/v1/orders/${orderId}`, { token })).body,
        (await api("GET", `/v1/sub-orders/${own}`, { token })).body,
      ]);
      for (const id of other) expect(seen).not.toContain(id);
    }
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

  it("a closed warehouse leaves the SKU feed's count and the public stock read at once, and a reopened one comes back", async () => {
    const s = await stockedSku({
      warehouses: [
        { at: BENGALURU, onHand: 5 },
        { at: MUMBAI, onHand: 2 },
      ],
    });
    const closing = s.warehouseIds[1]!;
    // Which SKUs a warehouse holds is read from the stock mirror: let the flush land.
    await vi.waitFor(async () => {
      const n = await env.DB.prepare("select count(*) as n from stock_levels where sku_id = ?").bind(s.skuId).first();
      expect(n?.n).toBe(2);
    });
    const storefront = await connect(`/v1/feeds/skus/${s.skuId}`);
    const vendorToken = await tokenFor("vendor", { vendorId: s.vendorId });
    const publicCount = async () => (await api("GET", `/v1/skus/${s.skuId}/stock`)).body.totals.available;
    expect(await publicCount()).toBe(7);

    const closed = await api("PATCH", `/v1/warehouses/${closing}`, {
      token: vendorToken,
      body: { status: "inactive" },
    });
    expect(closed.status).toBe(200);
    // Nothing was sold, yet the storefront hears 5: the 2 units in the closed warehouse are not for sale.
    await vi.waitFor(() => expect(storefront.events().at(-1)?.data).toEqual({ skuId: s.skuId, available: 5 }));
    expect(await publicCount()).toBe(5);
    // The vendor still reads its exact levels, closed warehouse included.
    const own = await api("GET", `/v1/skus/${s.skuId}/stock`, { token: vendorToken });
    expect(own.body.totals).toMatchObject({ onHand: 7, available: 7 });
    // A sale while it is closed pushes the count without it.
    const shopper = await newCustomer();
    expect((await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }])).status).toBe(201);
    await vi.waitFor(() => expect(storefront.events().at(-1)?.data).toEqual({ skuId: s.skuId, available: 4 }));

    const reopened = await api("PATCH", `/v1/warehouses/${closing}`, {
      token: vendorToken,
      body: { status: "active" },
    });
    expect(reopened.status).toBe(200);
    await vi.waitFor(() => expect(storefront.events().at(-1)?.data).toEqual({ skuId: s.skuId, available: 6 }));
    expect(await publicCount()).toBe(6);
  });

  it("a burst of claims reaches the SKU feed as a few pushes at least 100 ms apart, the last with the final count", async () => {
    const s = await stockedSku({ vendor: { hourlyCapacity: 1000 }, warehouses: [{ at: BENGALURU, onHand: 100 }] });
    const storefront = await connect(`/v1/feeds/skus/${s.skuId}`);
    const buyers = await customers(40);
    const burst = (e: EventFrame) => e.type === "stock.changed" && (e.data.available as number) < 100;
    const started = Date.now();
    const replies = await Promise.all(buyers.map((b) => checkout(b.token, [{ skuId: s.skuId, qty: 1 }])));
    expect(replies.every((r) => r.status === 201)).toBe(true);
    await vi.waitFor(() => expect(storefront.events(burst).at(-1)?.data).toEqual({ skuId: s.skuId, available: 60 }));
    const lasted = Date.now() - started;

    const counts = storefront.events(burst).map((e) => e.data.available as number);
    // Each push carries the latest count, so they only go down; one starts at most every 100 ms.
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(new Set(counts).size).toBe(counts.length);
    expect(counts.length).toBeLessThanOrEqual(Math.floor(lasted / 100) + 1);
    expect(counts.length).toBeLessThan(40);
  });
});
