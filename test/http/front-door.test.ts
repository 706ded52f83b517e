import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/dev/index";
import { sha256Hex } from "../../src/domain/crypto";
import { isoSeconds } from "../../src/domain/time";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { BENGALURU, checkout, pay, shipTo, stockedSku, stockOf } from "../support/marketplace";

// This project raises the per-address limits for every other test (vitest.config.ts); these tests
// run the Worker on an env of their own with the limits they are about.
const limited = (vars: Record<string, string>) => ({ ...env, ...vars }) as Env;
const PRODUCTION_UNITS = limited({ MAX_HELD_UNITS_PER_IP_PER_SKU: "20", MAX_GUESTS_PER_IP_PER_HOUR: "1000" });

let ipSeq = 0;
/** A client address of its own per call: storage is shared by every test in this file. */
const newIp = () => `198.51.${Math.floor(++ipSeq / 250)}.${(ipSeq % 250) + 1}`;

async function call(
  e: Env,
  ip: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { "cf-connecting-ip": ip, ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`https://oms.test${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    }),
    e,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

const guest = async (e: Env, ip: string) => {
  const r = await call(e, ip, "POST", "/v1/customers", { body: { name: "Flash Shopper" } });
  expect(r.status).toBe(201);
  return r.body.token as string;
};

const buy = (e: Env, ip: string, token: string, skuId: string, qty: number) =>
  call(e, ip, "POST", "/v1/checkout", {
    token,
    body: { lines: [{ skuId, qty }], shipTo: shipTo(BENGALURU) },
    headers: { "Idempotency-Key": uid("idem-") },
  });

function expectRefused(r: { status: number; headers: Headers; body: any }) {
  expect(r.status).toBe(429);
  expect(r.headers.get("content-type")).toContain("application/problem+json");
  expect(r.body.code).toBe("RATE_LIMITED");
  expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
}

describe("guest sign-up per client address", () => {
  it("admits so many guests an hour from one address, then 429 with Retry-After; other addresses still sign up", async () => {
    const e = limited({ MAX_GUESTS_PER_IP_PER_HOUR: "3" });
    const ip = newIp();
    for (let i = 0; i < 3; i++) await guest(e, ip);
    const refused = await call(e, ip, "POST", "/v1/customers", { body: { name: "One Too Many" } });
    expectRefused(refused);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(3600);
    expect((await call(e, newIp(), "POST", "/v1/customers", { body: { name: "Elsewhere" } })).status).toBe(201);
  });

  it("counts an IPv6 client by its /64", async () => {
    const e = limited({ MAX_GUESTS_PER_IP_PER_HOUR: "2" });
    const prefix = `2001:db8:${(++ipSeq).toString(16)}:1`;
    await guest(e, `${prefix}::1`);
    await guest(e, `${prefix}:0:0:0:2`);
    expectRefused(await call(e, `${prefix}::ffff`, "POST", "/v1/customers", { body: { name: "Rotated" } }));
  });
});

describe("the coarse request rate per address", () => {
  it("the ADDRESS_RATE binding turns a flood from one address away before any count (120 a minute)", async () => {
    const e = limited({ COARSE_ADDRESS_RATE: "on", MAX_GUESTS_PER_IP_PER_HOUR: "1000" });
    const ip = newIp();
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    // Signed up earlier (elsewhere: it does not matter where), now behind the flooding address.
    const neighbour = await guest(e, newIp());
    // The binding counts in fixed windows: a window turning over mid-flood only delays the refusal.
    let sent = 0;
    let refused: Awaited<ReturnType<typeof call>> | undefined;
    while (!refused && sent < 240) {
      const r = await call(e, ip, "POST", "/v1/customers", { body: { name: "Flood" } });
      sent += 1;
      if (r.status !== 201) refused = r;
    }
    expect(sent).toBeGreaterThan(120);
    if (!refused) throw new Error("240 sign-ups from one address were all admitted");
    expectRefused(refused);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect((await call(e, newIp(), "POST", "/v1/customers", { body: { name: "Elsewhere" } })).status).toBe(201);
    // A shopper behind the same (carrier's) address still checks out: each purpose counts apart.
    expect((await buy(e, ip, neighbour, sku.skuId, 1)).status).toBe(201);
  });
});

describe("a flash sale from one address", () => {
  it("guests minted from one address cannot hold more than the address cap of a SKU; nothing is held on refusal; another address still buys", async () => {
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 100 }] });
    const ip = newIp();
    for (let i = 0; i < 4; i++)
      expect((await buy(PRODUCTION_UNITS, ip, await guest(PRODUCTION_UNITS, ip), sku.skuId, 5)).status).toBe(201);
    const before = await stockOf(sku.skuId);
    expect(before.totals.held).toBe(20);

    const refused = await buy(PRODUCTION_UNITS, ip, await guest(PRODUCTION_UNITS, ip), sku.skuId, 1);
    expectRefused(refused);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(900);
    expect((await stockOf(sku.skuId)).totals).toEqual(before.totals);

    const elsewhere = newIp();
    expect(
      (await buy(PRODUCTION_UNITS, elsewhere, await guest(PRODUCTION_UNITS, elsewhere), sku.skuId, 5)).status,
    ).toBe(201);
  });

  it("units stop counting once their order is paid or cancelled", async () => {
    const e = limited({ MAX_HELD_UNITS_PER_IP_PER_SKU: "10", MAX_GUESTS_PER_IP_PER_HOUR: "1000" });
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 100 }] });
    const ip = newIp();
    const [a, b, c] = [await guest(e, ip), await guest(e, ip), await guest(e, ip)];

    const held = await buy(e, ip, a, sku.skuId, 10);
    expect(held.status).toBe(201);
    expectRefused(await buy(e, ip, b, sku.skuId, 1));
    const cancelled = await call(e, ip, "POST", `/v1/orders/${held.body.order.id}/cancel`, {
      token: a,
      body: { reason: "changed_mind" },
    });
    expect(cancelled.status).toBe(200);

    const paid = await buy(e, ip, b, sku.skuId, 10);
    expect(paid.status).toBe(201);
    expectRefused(await buy(e, ip, c, sku.skuId, 1));
    expect((await pay(b, paid.body.payment.id)).status).toBe(200);
    expect((await buy(e, ip, c, sku.skuId, 10)).status).toBe(201);
    expect((await stockOf(sku.skuId)).totals).toMatchObject({ held: 10, committed: 10 });
  });
});

describe("a flash-sale cap on the SKU", () => {
  it("ops set it through the SKU update; vendors may not; checkout holds at most that many units per customer", async () => {
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 50 }] });
    const ops = await tokenFor("ops");
    const vendor = await tokenFor("vendor", { vendorId: sku.vendorId });
    expect(
      (
        await api("PATCH", `/v1/skus/${sku.skuId}`, {
          token: ops,
          body: { price: { amountMinor: 1, currency: "INR" } },
        })
      ).status,
    ).toBe(403);
    expect(
      (await api("PATCH", `/v1/skus/${sku.skuId}`, { token: vendor, body: { saleMaxUnitsPerCustomer: 50 } })).status,
    ).toBe(403);
    const set = await api("PATCH", `/v1/skus/${sku.skuId}`, { token: ops, body: { saleMaxUnitsPerCustomer: 2 } });
    expect(set.status).toBe(200);
    expect(set.body.saleMaxUnitsPerCustomer).toBe(2);

    const shopper = await newCustomer();
    const tooMany = await checkout(shopper.token, [{ skuId: sku.skuId, qty: 3 }]);
    expectRefused(tooMany);
    expect((await stockOf(sku.skuId)).totals.held).toBe(0);
    expect((await checkout(shopper.token, [{ skuId: sku.skuId, qty: 2 }])).status).toBe(201);
    expectRefused(await checkout(shopper.token, [{ skuId: sku.skuId, qty: 1 }]));
    expect((await checkout((await newCustomer()).token, [{ skuId: sku.skuId, qty: 2 }])).status).toBe(201);

    const ended = await api("PATCH", `/v1/skus/${sku.skuId}`, {
      token: ADMIN,
      body: { saleMaxUnitsPerCustomer: null },
    });
    expect(ended.body.saleMaxUnitsPerCustomer).toBeNull();
  });
});

describe("guest tokens expire", () => {
  /** A token row for this customer that lapsed an hour ago, as a day-old guest's would have. */
  async function lapsedToken(customerId: string) {
    const token = uid("lapsed-");
    const hour = 3600_000;
    await env.DB.prepare(
      "INSERT INTO api_tokens (id, token_hash, role, customer_id, created_at, expires_at) VALUES (?, ?, 'customer', ?, ?, ?)",
    )
      .bind(
        uid("tok_"),
        await sha256Hex(token),
        customerId,
        isoSeconds(new Date(Date.now() - 25 * hour)),
        isoSeconds(new Date(Date.now() - hour)),
      )
      .run();
    return token;
  }

  it("a guest token is issued for 24 hours", async () => {
    const { customerId } = await newCustomer();
    const row = await env.DB.prepare("SELECT created_at, expires_at FROM api_tokens WHERE customer_id = ?")
      .bind(customerId)
      .first<{ created_at: string; expires_at: string }>();
    expect(Date.parse(row!.expires_at) - Date.parse(row!.created_at)).toBe(24 * 3600_000);
  });

  it("answers 401 past its expiry for a guest who never ordered", async () => {
    const { customerId } = await newCustomer();
    const r = await api("GET", "/v1/me", { token: await lapsedToken(customerId) });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe("UNAUTHENTICATED");
  });

  it("lives on while the guest has an open order", async () => {
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const shopper = await newCustomer();
    expect((await checkout(shopper.token, [{ skuId: sku.skuId, qty: 1 }])).status).toBe(201);
    expect((await api("GET", "/v1/me", { token: await lapsedToken(shopper.customerId) })).status).toBe(200);
  });
});

describe("cancel reasons", () => {
  it("are codes from a fixed list; free text goes in a note only ops and admins read, never in a message", async () => {
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: sku.skuId, qty: 1 }]);
    const orderId = placed.body.order.id as string;
    const path = `/v1/orders/${orderId}/cancel`;
    const note = "Visit https://evil.example to claim your refund";

    const freeText = await api("POST", path, { token: shopper.token, body: { reason: note } });
    expect(freeText.status).toBe(422);
    const ok = await api("POST", path, { token: shopper.token, body: { reason: "ordered_by_mistake", note } });
    expect(ok.status).toBe(200);
    expect(ok.body.cancellationNotes).toBeUndefined();
    expect(JSON.stringify(ok.body)).not.toContain("evil.example");

    // Cancelling again changes nothing, so its words are not kept: one note per cancel.
    const again = await api("POST", path, {
      token: shopper.token,
      body: { reason: "ordered_by_mistake", note: "x".repeat(500) },
    });
    expect(again.status).toBe(200);

    const ops = await api("GET", `/v1/orders/${orderId}`, { token: await tokenFor("ops") });
    expect(ops.body.cancellationNotes).toEqual([
      expect.objectContaining({
        reason: "ordered_by_mistake",
        note,
        actor: { role: "customer", id: shopper.customerId },
      }),
    ]);
    const vendorView = await api("GET", `/v1/orders/${orderId}`, {
      token: await tokenFor("vendor", { vendorId: sku.vendorId }),
    });
    expect(JSON.stringify(vendorView.body)).not.toContain("evil.example");

    const rows = await vi.waitFor(
      async () => {
        const found = await env.DB.prepare("SELECT channel, payload FROM notifications WHERE order_id = ?")
          .bind(orderId)
          .all<{ channel: string; payload: string }>();
        expect(found.results.length).toBeGreaterThan(0);
        return found.results;
      },
      { timeout: 10_000 },
    );
    expect(rows[0]!.payload).toContain("(ordered by mistake)");
    for (const r of rows) {
      expect(r.payload).not.toContain("evil.example");
      // Unpaid: the contact the guest typed is never messaged.
      expect(r.channel).toBe("local");
    }
  });
});
