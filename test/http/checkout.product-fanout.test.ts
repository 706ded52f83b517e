import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { checkout } from "../../src/checkout/checkout";
import { MAX_CART_LINES } from "../../src/contracts/common";
import { stockObject } from "../../src/gateways/stock";
import { newCustomer, uid } from "../support/api";
import { stockCalls } from "../support/bindings";
import { LIMITS, meteredRequest } from "../support/invocation-budget";
import { BENGALURU, shipTo } from "../support/marketplace";
import { east } from "./routing.fixtures";

/**
 * A cart of product lines, each product sold by many vendors: routing reads the stock of the best
 * few offers of each line (the router's own order, which stock does not change) and falls back to
 * the next ones when those are sold out, so the stock reads stay bounded whatever the catalog.
 * Held to the invocation-budget test's margin for a request: a fifth of an invocation's limits.
 */

const BUDGET = { queries: LIMITS.queries / 5, subrequests: LIMITS.subrequests / 5 };
const SELLERS = 21;
const AT = "2026-01-01T00:00:00Z";
// Product 0's nearest sellers that have nothing: its line falls back past several offers.
const EMPTY_OF_FIRST = 5;
// Every fifth product's nearest seller has nothing either: those lines fall back once.
const nearestEmpty = (p: number) => p % 5 === 0;

type Market = { productIds: string[]; vendorsOf: string[][]; skusOf: string[][]; warehousesOf: string[][] };

/**
 * MAX_CART_LINES products, each sold by SELLERS vendors of its own, seller j from a warehouse 2 + 2j
 * km east of Bengaluru (all within one shipping band): written straight into D1 in batches, their
 * stock counted straight into the stock objects.
 */
async function seedMarket(): Promise<Market> {
  const tag = uid("fan");
  const market: Market = { productIds: [], vendorsOf: [], skusOf: [], warehousesOf: [] };
  const stmts: D1PreparedStatement[] = [];
  const counts: { skuId: string; warehouseId: string; onHand: number }[] = [];
  for (let p = 0; p < MAX_CART_LINES; p++) {
    const productId = `${tag}-p${p}`;
    market.productIds.push(productId);
    market.vendorsOf.push([]);
    market.skusOf.push([]);
    market.warehousesOf.push([]);
    stmts.push(env.DB.prepare("insert into products (id, title, created_at) values (?, 'P', ?)").bind(productId, AT));
    for (let j = 0; j < SELLERS; j++) {
      const vendorId = `${tag}-v${p}-${j}`;
      const skuId = `${tag}-s${p}-${j}`;
      const warehouseId = `${tag}-w${p}-${j}`;
      const at = east(BENGALURU, 2 + 2 * j);
      market.vendorsOf[p]!.push(vendorId);
      market.skusOf[p]!.push(skuId);
      market.warehousesOf[p]!.push(warehouseId);
      stmts.push(
        env.DB.prepare(
          "insert into vendors (id, name, commission_bps, hourly_capacity, created_at) values (?, 'V', 1000, 1000000, ?)",
        ).bind(vendorId, AT),
        env.DB.prepare(
          `insert into skus (id, vendor_id, product_id, code, title, price_minor, currency, barcode, created_at, updated_at)
           values (?, ?, ?, ?, 'S', 50000, 'INR', ?, ?, ?)`,
        ).bind(skuId, vendorId, productId, skuId, skuId, AT, AT),
        env.DB.prepare(
          `insert into warehouses (id, vendor_id, name, lat, lng, postal_code, country, created_at)
           values (?, ?, 'W', ?, ?, '560001', 'IN', ?)`,
        ).bind(warehouseId, vendorId, at.lat, at.lng, AT),
      );
      const empty = (j === 0 && nearestEmpty(p)) || (p === 0 && j < EMPTY_OF_FIRST);
      counts.push({ skuId, warehouseId, onHand: empty ? 0 : 5 });
    }
  }
  for (let i = 0; i < stmts.length; i += 500) await env.DB.batch(stmts.slice(i, i + 500));
  for (let i = 0; i < counts.length; i += 100) {
    await Promise.all(
      counts.slice(i, i + 100).map(async (c) => {
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
  return market;
}

/** The nearest seller of each product that has stock. */
const nearestInStock = (m: Market) =>
  m.vendorsOf.map((vendors, p) => vendors[p === 0 ? EMPTY_OF_FIRST : nearestEmpty(p) ? 1 : 0]!);

let market: Market;

beforeAll(async () => {
  market = await seedMarket();
}, 120_000);

describe(`a ${MAX_CART_LINES}-line cart by productId, each product sold by ${SELLERS} vendors`, () => {
  const lines = () => market.productIds.map((productId) => ({ productId, qty: 1 }));

  it("is quoted inside the budget, each line from its nearest seller in stock", async () => {
    const shopper = await newCustomer();
    const quoted = await meteredRequest("POST", "/v1/routing/quote", {
      token: shopper.token,
      body: { lines: lines(), shipTo: shipTo() },
    });
    expect(quoted.status, JSON.stringify(quoted.body).slice(0, 300)).toBe(200);
    expect(quoted.spend.subrequests, JSON.stringify(quoted.spend.by)).toBeLessThan(BUDGET.subrequests);
    expect(quoted.spend.queries).toBeLessThan(BUDGET.queries);
    const vendorOfLine = new Map<number, string>();
    for (const s of quoted.body.shipments) for (const l of s.lines) vendorOfLine.set(l.lineIndex, s.vendorId);
    expect(market.productIds.map((_, i) => vendorOfLine.get(i))).toEqual(nearestInStock(market));
  });

  it("is placed inside the budget, each line held at its nearest seller in stock", async () => {
    const shopper = await newCustomer();
    const placed = await meteredRequest("POST", "/v1/checkout", {
      token: shopper.token,
      body: { lines: lines(), shipTo: shipTo() },
      headers: { "Idempotency-Key": uid("idem-") },
    });
    expect(placed.status, JSON.stringify(placed.body).slice(0, 300)).toBe(201);
    expect(placed.spend.subrequests, JSON.stringify(placed.spend.by)).toBeLessThan(BUDGET.subrequests);
    expect(placed.spend.queries).toBeLessThan(BUDGET.queries);
    const vendorOfSku = new Map<string, string>();
    for (const s of placed.body.order.subOrders) for (const l of s.lines) vendorOfSku.set(l.skuId, s.vendorId);
    const chosen = market.skusOf.map((skus) => skus.map((id) => vendorOfSku.get(id)).find((v) => v !== undefined));
    expect(chosen).toEqual(nearestInStock(market));
  });

  it("falls back to a line's next offer when the one it read sells out before the claim", async () => {
    // Product 1's nearest seller has stock when this checkout reads it; a rival claims all of it
    // right after, before this checkout's claim: the re-plan must open product 1's next offer.
    const contested = { skuId: market.skusOf[1]![0]!, warehouseId: market.warehousesOf[1]![0]! };
    const rival = uid("hold_rival_");
    const rush = stockCalls({
      levelsForHold:
        (call, skuId) =>
        async (...args) => {
          const answer = (await call(...args)) as { warehouses: { available: number }[] };
          const left = answer.warehouses.reduce((n, w) => n + w.available, 0);
          if (skuId === contested.skuId && left > 0) {
            await stockObject(env, skuId).reserve({
              holdId: rival,
              skuId,
              qty: left,
              warehouses: [contested.warehouseId],
              expiresAt: Date.now() + 15 * 60_000,
            });
          }
          return answer;
        },
    });
    const shopper = await newCustomer();
    const placed = await checkout(
      rush,
      { waitUntil: () => {} },
      {
        customer: { role: "customer" as const, tokenId: uid("tok_"), customerId: shopper.customerId },
        clientAddress: "203.0.113.9",
        idempotencyKey: uid("idem-"),
        body: { lines: lines(), shipTo: shipTo() },
        now: new Date(),
      },
    );
    expect(placed.ok, JSON.stringify(placed).slice(0, 300)).toBe(true);
    if (!placed.ok) return;
    const vendorOfSku = new Map<string, string>();
    for (const s of placed.body.order.subOrders) for (const l of s.lines) vendorOfSku.set(l.skuId, s.vendorId);
    const chosen = market.skusOf.map((skus) => skus.map((id) => vendorOfSku.get(id)).find((v) => v !== undefined));
    const expected = nearestInStock(market);
    expected[1] = market.vendorsOf[1]![1]!;
    expect(chosen).toEqual(expected);
    expect(await stockObject(env, contested.skuId).holdsOf(rival)).toHaveLength(1);
  });
});

describe("a cart by productId whose first offers read are short", () => {
  const placeAs = async (env: Env, lines: { productId: string; qty: number }[]) => {
    const shopper = await newCustomer();
    return checkout(
      env,
      { waitUntil: () => {} },
      {
        customer: { role: "customer" as const, tokenId: uid("tok_"), customerId: shopper.customerId },
        clientAddress: "203.0.113.9",
        idempotencyKey: uid("idem-"),
        body: { lines, shipTo: shipTo() },
        now: new Date(),
      },
    );
  };
  const available = async (skuId: string) =>
    (await stockObject(env, skuId).snapshot()).warehouses.reduce((n, w) => n + w.available, 0);
  /** A rival holds every unit of these SKUs that is still for sale. */
  const drain = async (skuIds: string[], warehouseIds: string[]) => {
    const rival = uid("hold_drain_");
    await Promise.all(
      skuIds.map(async (skuId, i) => {
        const left = await available(skuId);
        if (left === 0) return;
        const r = await stockObject(env, skuId).reserve({
          holdId: rival,
          skuId,
          qty: left,
          warehouses: [warehouseIds[i]!],
          expiresAt: Date.now() + 15 * 60_000,
        });
        if (!r.ok) throw new Error(`drain: ${JSON.stringify(r)}`);
      }),
    );
  };

  it("re-reads the line's other offers after a refused claim: a rush may have drained the next one too", async () => {
    // Product 2's two nearest sellers have stock as this checkout reads them; a rival takes both
    // right after, before its claim. The re-plan must see the second gone too and go to the third.
    const drained = new Set([market.skusOf[2]![0]!, market.skusOf[2]![1]!]);
    const rush = stockCalls({
      levelsForHold:
        (call, skuId) =>
        async (...args) => {
          const answer = await call(...args);
          if (drained.has(skuId)) {
            const j = market.skusOf[2]!.indexOf(skuId);
            await drain([skuId], [market.warehousesOf[2]![j]!]);
          }
          return answer;
        },
    });
    const placed = await placeAs(rush, [
      { productId: market.productIds[2]!, qty: 1 },
      { productId: market.productIds[3]!, qty: 1 },
    ]);
    expect(placed.ok, JSON.stringify(placed).slice(0, 300)).toBe(true);
    if (!placed.ok) return;
    const vendors = placed.body.order.subOrders.map((s) => s.vendorId);
    expect(vendors).toContain(market.vendorsOf[2]![2]!);
  });

  it("a short line finds stock before split lines spend the reads", async () => {
    // Ten lines, five offers each read first: five lines of 8 units no seller holds alone (split
    // however many offers are read) and one whose first 20 sellers have nothing.
    const split = [10, 11, 12, 13, 14];
    const plain = [15, 16, 17, 18];
    const short = 19;
    await drain(market.skusOf[short]!.slice(0, 20), market.warehousesOf[short]!.slice(0, 20));
    const placed = await placeAs(env, [
      ...split.map((p) => ({ productId: market.productIds[p]!, qty: 8 })),
      ...plain.map((p) => ({ productId: market.productIds[p]!, qty: 1 })),
      { productId: market.productIds[short]!, qty: 1 },
    ]);
    expect(placed.ok, JSON.stringify(placed).slice(0, 300)).toBe(true);
    if (!placed.ok) return;
    const vendors = placed.body.order.subOrders.map((s) => s.vendorId);
    expect(vendors).toContain(market.vendorsOf[short]![20]!);
  });
});
