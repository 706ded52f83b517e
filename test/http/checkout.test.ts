import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { newProduct, newSku } from "../support/catalog";
import {
  BENGALURU,
  checkout,
  DELHI,
  expectStockEquation,
  MUMBAI,
  pay,
  shipTo,
  stockedSku,
  stockOf,
} from "../support/marketplace";

async function countRows(table: string, where = "1=1", ...binds: unknown[]) {
  const r = await env.DB.prepare(`select count(*) as n from ${table} where ${where}`)
    .bind(...binds)
    .first<{ n: number }>();
  return r?.n ?? 0;
}

describe("checkout", () => {
  it("splits a 3-vendor cart into one sub-order per vendor, nearest warehouse first, and pays once", async () => {
    const a = await stockedSku({
      warehouses: [
        { at: DELHI, onHand: 10 },
        { at: BENGALURU, onHand: 10 },
      ],
      priceMinor: 10_000,
    });
    const b = await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 5 }], priceMinor: 2_550 });
    const c = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 3 }], priceMinor: 999 });
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [
      { skuId: a.skuId, qty: 2 },
      { skuId: b.skuId, qty: 1 },
      { skuId: c.skuId, qty: 3 },
    ]);
    expect(r.status).toBe(201);
    const { order, payment } = r.body;
    expect(order.status).toBe("pending_payment");
    expect(order.paymentStatus).toBe("unpaid");
    expect(order.subOrders).toHaveLength(3);
    expect(order.total).toEqual({ amountMinor: 2 * 10_000 + 2_550 + 3 * 999, currency: "INR" });
    const subTotal = order.subOrders.reduce((n: number, s: any) => n + s.total.amountMinor, 0);
    expect(subTotal).toBe(order.total.amountMinor);
    const aLine = order.subOrders.find((s: any) => s.vendorId === a.vendorId).lines[0];
    expect(aLine.warehouseId).toBe(a.warehouseIds[1]);
    expect(payment).toMatchObject({ provider: "simulated", status: "requires_payment" });
    expect(Date.parse(payment.holdExpiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
    expect((await stockOf(a.skuId)).totals).toMatchObject({ onHand: 20, held: 2, available: 18 });

    const paid = await pay(shopper.token, payment.id);
    expect(paid.status).toBe(200);
    expect(paid.body.status).toBe("paid");
    expect(paid.body.paymentStatus).toBe("paid");
    for (const s of paid.body.subOrders) {
      expect(s.status).toBe("paid");
      expect(Date.parse(s.slaDispatchBy)).toBeGreaterThan(Date.now());
    }
    expect((await stockOf(a.skuId)).totals).toMatchObject({ held: 0, committed: 2, available: 18 });
    const again = await pay(shopper.token, payment.id);
    expect(again.status).toBe(200);
    expect(again.body.timeline.filter((e: any) => e.type === "order.paid")).toHaveLength(1);
    expect((await stockOf(c.skuId)).totals).toMatchObject({ committed: 3, available: 0 });
    expect(await countRows("outbox", "order_id = ? and type = 'order.paid'", order.id)).toBe(1);
    const commission = await env.DB.prepare(
      "select sum(commission_minor) as c, sum(total_minor) as t from sub_orders where order_id = ?",
    )
      .bind(order.id)
      .first<{ c: number; t: number }>();
    expect(commission?.t).toBe(order.total.amountMinor);
    await expectStockEquation(a.skuId);
  });

  it("splits one line across warehouses when no single one covers it", async () => {
    const s = await stockedSku({
      warehouses: [
        { at: BENGALURU, onHand: 2 },
        { at: MUMBAI, onHand: 3 },
        { at: DELHI, onHand: 4 },
      ],
    });
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 6 }]);
    expect(r.status).toBe(201);
    const lines = r.body.order.subOrders[0].lines;
    expect(lines.map((l: any) => [l.warehouseId, l.qty])).toEqual([
      [s.warehouseIds[0], 2],
      [s.warehouseIds[1], 3],
      [s.warehouseIds[2], 1],
    ]);
  });

  it("replays the same Idempotency-Key and refuses it for another body", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const shopper = await newCustomer();
    const key = uid("idem-");
    const first = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }], key);
    const second = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }], key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    const other = await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }], key);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect((await stockOf(s.skuId)).totals.held).toBe(1);
    expect(await countRows("orders", "customer_id = ?", shopper.customerId)).toBe(1);
  });

  it("replays a retry whose first attempt took the last units, before and after payment", async () => {
    // Two SKUs of one vendor: routing reads their levels before it claims, and the retry's own
    // units must count as available to it.
    const a = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const b = await newSku(a.vendorId, (await newProduct()).id);
    const counted = await api("PUT", `/v1/skus/${b.id}/stock`, {
      token: ADMIN,
      body: { warehouseId: a.warehouseIds[0], onHand: 1, reason: "count" },
    });
    expect(counted.status).toBe(200);
    const shopper = await newCustomer();
    const key = uid("idem-");
    const lines = [
      { skuId: a.skuId, qty: 1 },
      { skuId: b.id as string, qty: 1 },
    ];
    const first = await checkout(shopper.token, lines, key);
    expect(first.status).toBe(201);
    const held = await checkout(shopper.token, lines, key);
    expect(held.status).toBe(201);
    expect(held.body).toEqual(first.body);
    expect((await stockOf(a.skuId)).totals).toMatchObject({ onHand: 1, held: 1, available: 0 });

    expect((await pay(shopper.token, first.body.payment.id)).status).toBe(200);
    const paid = await checkout(shopper.token, lines, key);
    expect(paid.status).toBe(201);
    expect(paid.body).toEqual(first.body);
    expect((await stockOf(b.id as string)).totals).toMatchObject({ onHand: 1, held: 0, committed: 1, available: 0 });
    expect(await countRows("orders", "customer_id = ?", shopper.customerId)).toBe(1);

    // Someone else's checkout of the same cart is refused: the units are sold.
    const other = await newCustomer();
    const refused = await checkout(other.token, lines, uid("idem-"));
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("OUT_OF_STOCK");
  });

  it("answers 409 with shortages and leaves nothing behind when any line is short", async () => {
    const a = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const b = await stockedSku({
      warehouses: [
        { at: MUMBAI, onHand: 1 },
        { at: DELHI, onHand: 1 },
      ],
    });
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [
      { skuId: a.skuId, qty: 2 },
      { skuId: b.skuId, qty: 3 },
    ]);
    expect(r.status).toBe(409);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body.code).toBe("OUT_OF_STOCK");
    expect(r.body.shortages).toEqual([{ lineIndex: 1, skuId: b.skuId, requested: 3, available: 2 }]);
    expect((await stockOf(a.skuId)).totals).toMatchObject({ available: 5, held: 0 });
    expect(await countRows("orders", "customer_id = ?", shopper.customerId)).toBe(0);
  });

  it("refuses bad input with 4xx problems and writes nothing", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const shopper = await newCustomer();
    const post = (body: unknown, headers: Record<string, string> = { "Idempotency-Key": uid("k") }) =>
      api("POST", "/v1/checkout", { token: shopper.token, body, headers });
    const good = { lines: [{ skuId: s.skuId, qty: 1 }], shipTo: shipTo() };
    const cases: [unknown, number, string][] = [
      [{ ...good, lines: [{ skuId: s.skuId, qty: 0 }] }, 422, "VALIDATION_FAILED"],
      [{ ...good, lines: [{ skuId: s.skuId, qty: -1 }] }, 422, "VALIDATION_FAILED"],
      [{ ...good, lines: [{ skuId: s.skuId, qty: 1.5 }] }, 422, "VALIDATION_FAILED"],
      [{ ...good, lines: [{ skuId: s.skuId, qty: "1" }] }, 422, "VALIDATION_FAILED"],
      [{ ...good, lines: [{ skuId: s.skuId, qty: 100 }] }, 422, "VALIDATION_FAILED"],
      [{ ...good, lines: [] }, 422, "VALIDATION_FAILED"],
      [
        { ...good, lines: Array.from({ length: 51 }, (_, i) => ({ skuId: `sku_${i}`, qty: 1 })) },
        422,
        "VALIDATION_FAILED",
      ],
      [{ ...good, lines: [{ skuId: "sku_nope", qty: 1 }] }, 422, "VALIDATION_FAILED"],
      [
        {
          ...good,
          lines: [
            { skuId: s.skuId, qty: 1 },
            { skuId: s.skuId, qty: 1 },
          ],
        },
        422,
        "VALIDATION_FAILED",
      ],
      [{ ...good, currency: "USD" }, 422, "VALIDATION_FAILED"],
      [{ ...good, extra: true }, 422, "VALIDATION_FAILED"],
      [
        {
          ...good,
          shipTo: {
            ...shipTo(),
            lat: undefined,
            lng: undefined,
            address: { ...shipTo().address, postalCode: "000000" },
          },
        },
        422,
        "VALIDATION_FAILED",
      ],
    ];
    for (const [body, status, code] of cases) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body).slice(0, 120)).toBe(status);
      expect(r.body.code).toBe(code);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
    }
    const unknown = await post({ ...good, lines: [{ skuId: "sku_nope", qty: 1 }] });
    expect(unknown.body.errors).toEqual([{ path: "lines.0.skuId", message: "unknown SKU" }]);
    const address = { ...shipTo().address, line1: "12 MG Road \ud800" };
    const mangled = await post({ ...good, shipTo: { ...shipTo(), address } });
    expect({ status: mangled.status, errors: mangled.body.errors }).toEqual({
      status: 422,
      errors: [{ path: "shipTo.address.line1", message: "not well-formed Unicode (a lone surrogate)" }],
    });
    const noKey = await post(good, {});
    expect(noKey.status).toBe(400);
    expect(noKey.body.code).toBe("IDEMPOTENCY_KEY_REQUIRED");
    const malformed = await api("POST", "/v1/checkout", {
      token: shopper.token,
      rawBody: "{",
      headers: { "content-type": "application/json", "Idempotency-Key": uid("k") },
    });
    expect(malformed.status).toBe(422);
    const huge = await api("POST", "/v1/checkout", {
      token: shopper.token,
      rawBody: JSON.stringify({ ...good, pad: "x".repeat(300_000) }),
      headers: { "content-type": "application/json", "Idempotency-Key": uid("k") },
    });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await countRows("orders", "customer_id = ?", shopper.customerId)).toBe(0);
    expect((await stockOf(s.skuId)).totals).toMatchObject({ available: 5, held: 0 });
  });

  it("is for customers only", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const body = { lines: [{ skuId: s.skuId, qty: 1 }], shipTo: shipTo() };
    const headers = { "Idempotency-Key": uid("k") };
    expect((await api("POST", "/v1/checkout", { body, headers })).status).toBe(401);
    for (const role of ["ops", "admin"] as const) {
      const r = await api("POST", "/v1/checkout", { token: await tokenFor(role), body, headers });
      expect(r.status).toBe(403);
    }
    const vendorToken = await tokenFor("vendor", { vendorId: s.vendorId });
    expect((await api("POST", "/v1/checkout", { token: vendorToken, body, headers })).status).toBe(403);
    expect((await api("POST", "/v1/checkout", { token: ADMIN, body, headers })).status).toBe(403);
  });

  it("limits open holds per customer with 429 and Retry-After", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 50 }] });
    const shopper = await newCustomer();
    for (let i = 0; i < 5; i++) expect((await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }])).status).toBe(201);
    const sixth = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    expect(sixth.status).toBe(429);
    expect(sixth.body.code).toBe("RATE_LIMITED");
    expect(Number(sixth.headers.get("retry-after"))).toBeGreaterThan(0);
    const greedy = await newCustomer();
    expect((await checkout(greedy.token, [{ skuId: s.skuId, qty: 20 }])).status).toBe(201);
    const over = await checkout(greedy.token, [{ skuId: s.skuId, qty: 1 }]);
    expect(over.status).toBe(429);
    await expectStockEquation(s.skuId);
  });

  it("refuses a SKU taken off sale and keeps none of its stock", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const off = await api("PATCH", `/v1/skus/${s.skuId}`, { token: ADMIN, body: { status: "inactive" } });
    expect(off.status).toBe(200);
    const shopper = await newCustomer();
    const r = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([{ path: "lines.0.skuId", message: "this SKU is not for sale" }]);
    expect((await stockOf(s.skuId)).totals).toMatchObject({ available: 5, held: 0 });
    expect(await countRows("orders", "customer_id = ?", shopper.customerId)).toBe(0);
  });
});
