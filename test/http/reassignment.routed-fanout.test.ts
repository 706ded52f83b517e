import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { stockObject } from "../../src/gateways/stock";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { inr, newProduct, newSku } from "../support/catalog";
import { meteredRequest } from "../support/invocation-budget";
import { BENGALURU, pay } from "../support/marketplace";
import { east, offer, order } from "./routing.fixtures";

/**
 * A reassignment with `target: {}` of a product many vendors sell: routing reads the stock of the
 * best few sellers (in the router's own order, which stock does not change) and falls back to the
 * next ones while those are sold out, so its stock reads stay bounded however many vendors sell it.
 * The bounds are the override's (`MAX_MOVE_READS`: 16 stock objects a move) and, beside them, the
 * few other calls out of a one-SKU move (its stock set aside and moved, its outbox send and feeds),
 * as bulk.ts's budget of an assign counts them.
 */

const SELLERS = 160;
// The nearest sellers have nothing: the move falls back past more of them than its first round reads.
const EMPTY = 12;
const MOVE_READS = 16;
const OTHER_CALLS = 10;
// Vendors that sell only the second product of the two-item move, nearer than any other.
const SECOND_ONLY = 100;
const AT = "2026-01-01T00:00:00Z";

type Market = {
  productId: string;
  vendors: string[];
  skus: string[];
  warehouses: string[];
  source: Awaited<ReturnType<typeof offer>>;
};
type Count = { skuId: string; warehouseId: string; onHand: number };

const vendorRow = (vendorId: string) =>
  env.DB.prepare(
    "insert into vendors (id, name, commission_bps, hourly_capacity, created_at) values (?, 'V', 1000, 1000000, ?)",
  ).bind(vendorId, AT);
const skuRow = (skuId: string, vendorId: string, productId: string) =>
  env.DB.prepare(
    `insert into skus (id, vendor_id, product_id, code, title, price_minor, currency, barcode, created_at, updated_at)
     values (?, ?, ?, ?, 'S', 50000, 'INR', ?, ?, ?)`,
  ).bind(skuId, vendorId, productId, skuId, skuId, AT, AT);
const warehouseRow = (warehouseId: string, vendorId: string, at: { lat: number; lng: number }) =>
  env.DB.prepare(
    `insert into warehouses (id, vendor_id, name, lat, lng, postal_code, country, created_at)
     values (?, ?, 'W', ?, ?, '560001', 'IN', ?)`,
  ).bind(warehouseId, vendorId, at.lat, at.lng, AT);

/** Rows in D1 batches, stock straight into the objects. */
async function write(stmts: D1PreparedStatement[], counts: Count[]) {
  for (let i = 0; i < stmts.length; i += 300) await env.DB.batch(stmts.slice(i, i + 300));
  for (let i = 0; i < counts.length; i += 50) {
    await Promise.all(
      counts.slice(i, i + 50).map(async (c) => {
        const r = await stockObject(env, c.skuId).setOnHand({
          skuId: c.skuId,
          counts: [{ warehouseId: c.warehouseId, onHand: c.onHand }],
          reason: "count",
          actor: "test",
        });
        if (!r.ok) throw new Error(`stock: ${JSON.stringify(r)}`);
      }),
    );
  }
}

/**
 * One product sold by SELLERS vendors, seller j from a warehouse 2 + j/4 km east of Bengaluru,
 * written straight into D1 in batches and counted straight into the stock objects, and by a vendor
 * 1 km east (where the shopper's units are: the move never goes back there).
 */
async function seedMarket(): Promise<Market> {
  const tag = uid("rfan");
  const productId = (await newProduct()).id as string;
  const market: Market = { productId, vendors: [], skus: [], warehouses: [], source: undefined as never };
  const stmts: D1PreparedStatement[] = [];
  const counts: Count[] = [];
  for (let j = 0; j < SELLERS; j++) {
    const vendorId = `${tag}-v${j}`;
    const skuId = `${tag}-s${j}`;
    const warehouseId = `${tag}-w${j}`;
    market.vendors.push(vendorId);
    market.skus.push(skuId);
    market.warehouses.push(warehouseId);
    stmts.push(
      vendorRow(vendorId),
      skuRow(skuId, vendorId, productId),
      warehouseRow(warehouseId, vendorId, east(BENGALURU, 2 + j / 4)),
    );
    counts.push({ skuId, warehouseId, onHand: j < EMPTY ? 0 : 5 });
  }
  await write(stmts, counts);
  market.source = await offer({ productId, warehouses: [{ at: east(BENGALURU, 1), onHand: 20 }] });
  return market;
}

/** A paid order of one unit of each SKU (the source vendor's): its one sub-order's id. */
async function paidSubOrder(skuIds: string[]): Promise<string> {
  const shopper = await newCustomer();
  const placed = await order(
    shopper.token,
    skuIds.map((skuId) => ({ skuId, qty: 1 })),
  );
  expect(placed.status, JSON.stringify(placed.body).slice(0, 300)).toBe(201);
  expect(placed.body.order.subOrders).toHaveLength(1);
  expect((await pay(shopper.token, placed.body.payment.id)).body.status).toBe("paid");
  return placed.body.order.subOrders[0].id as string;
}

let market: Market;

beforeAll(async () => {
  market = await seedMarket();
}, 120_000);

describe(`reassignment with target {} of a product ${SELLERS} vendors sell`, () => {
  it("moves the units to the nearest seller with stock, reading a bounded number of stock objects", async () => {
    const sub = await paidSubOrder([market.source.skuId]);
    const ops = await tokenFor("ops");
    const r = await meteredRequest("POST", `/v1/sub-orders/${sub}/reassign`, {
      token: ops,
      body: { target: {}, reason: "source out of packaging" },
      headers: { "Idempotency-Key": uid("ra-") },
    });
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    const moved = r.body.subOrders.filter((s: { lines: unknown[] }) => s.lines.length > 0);
    expect(moved.map((s: { vendorId: string }) => s.vendorId)).toEqual([market.vendors[EMPTY]]);
    expect(moved[0].lines.map((l: { skuId: string; qty: number }) => [l.skuId, l.qty])).toEqual([
      [market.skus[EMPTY], 1],
    ]);
    expect(r.spend.by["SKU_STOCK.snapshot"] ?? 0, JSON.stringify(r.spend.by)).toBeLessThanOrEqual(MOVE_READS);
    expect(r.spend.subrequests, JSON.stringify(r.spend.by)).toBeLessThanOrEqual(MOVE_READS + OTHER_CALLS);
  });

  it("assigns many such sub-orders in one bulk request inside its per-id budget", async () => {
    const subs: string[] = [];
    for (let i = 0; i < 4; i++) subs.push(await paidSubOrder([market.source.skuId]));
    const ops = await tokenFor("ops");
    const r = await meteredRequest("POST", "/v1/sub-orders/bulk", {
      token: ops,
      body: { action: "assign", ids: subs, target: {}, reason: "source out of packaging" },
      headers: { "Idempotency-Key": uid("bulk-") },
    });
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    expect(r.body.results.map((x: { id: string; ok: boolean }) => [x.id, x.ok])).toEqual(subs.map((id) => [id, true]));
    expect(r.spend.by["SKU_STOCK.snapshot"] ?? 0, JSON.stringify(r.spend.by)).toBeLessThanOrEqual(
      subs.length * MOVE_READS,
    );
    expect(r.spend.subrequests, JSON.stringify(r.spend.by)).toBeLessThanOrEqual(
      subs.length * (MOVE_READS + OTHER_CALLS),
    );
  });
  it("moves a two-item sub-order to the nearest vendor that sells both, reading only vendors that do", async () => {
    // A second product, sold by two of the first's sellers (from the same warehouse) and by
    // SECOND_ONLY vendors of its own, all nearer: only the two can take both items.
    const tag = uid("rfan2");
    const second = (await newProduct()).id as string;
    const both = [EMPTY + 20, EMPTY + 40];
    const secondSku = (j: number) => `${tag}-s${j}`;
    const stmts: D1PreparedStatement[] = [];
    const counts: Count[] = [];
    for (const j of both) {
      stmts.push(skuRow(secondSku(j), market.vendors[j]!, second));
      counts.push({ skuId: secondSku(j), warehouseId: market.warehouses[j]!, onHand: 5 });
    }
    for (let k = 0; k < SECOND_ONLY; k++) {
      const [vendorId, skuId, warehouseId] = [`${tag}-v${k}`, `${tag}-o${k}`, `${tag}-w${k}`];
      stmts.push(
        vendorRow(vendorId),
        skuRow(skuId, vendorId, second),
        warehouseRow(warehouseId, vendorId, east(BENGALURU, 1.5 + k / 100)),
      );
      counts.push({ skuId, warehouseId, onHand: 5 });
    }
    await write(stmts, counts);
    const source = await offer({ productId: market.productId, warehouses: [{ at: east(BENGALURU, 1), onHand: 5 }] });
    const sourceSecond = await newSku(source.vendorId, second, { price: inr(50_000), lowStockThreshold: 0 });
    const stocked = await api("PUT", `/v1/skus/${sourceSecond.id}/stock`, {
      token: ADMIN,
      body: { warehouseId: source.warehouseIds[0], onHand: 5, reason: "count" },
    });
    expect(stocked.status).toBe(200);
    const sub = await paidSubOrder([source.skuId, sourceSecond.id]);

    const r = await meteredRequest("POST", `/v1/sub-orders/${sub}/reassign`, {
      token: await tokenFor("ops"),
      body: { target: {}, reason: "source out of packaging" },
      headers: { "Idempotency-Key": uid("ra-") },
    });
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    const moved = r.body.subOrders.filter((s: { lines: unknown[] }) => s.lines.length > 0);
    const nearest = both[0]!;
    expect(moved.map((s: { vendorId: string }) => s.vendorId)).toEqual([market.vendors[nearest]]);
    expect(moved[0].lines.map((l: { skuId: string; qty: number }) => [l.skuId, l.qty]).sort()).toEqual(
      [
        [market.skus[nearest], 1],
        [secondSku(nearest), 1],
      ].sort(),
    );
    expect(r.spend.by["SKU_STOCK.snapshot"] ?? 0, JSON.stringify(r.spend.by)).toBeLessThanOrEqual(MOVE_READS);
    expect(r.spend.subrequests, JSON.stringify(r.spend.by)).toBeLessThanOrEqual(MOVE_READS + 2 * OTHER_CALLS);
  });
});
