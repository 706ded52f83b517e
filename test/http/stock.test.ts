import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";

const NOW = "2026-01-01T00:00:00Z";

/** Catalog rows written straight into D1: these tests are about stock, not the catalog routes. */
async function vendorWithWarehouses(count: number) {
  const vendorId = uid("ven");
  const whs = Array.from({ length: count }, () => uid("wh"));
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO vendors (id, name, commission_bps, hourly_capacity, created_at) VALUES (?, 'V', 1000, 100, ?)",
    ).bind(vendorId, NOW),
    ...whs.map((wh) =>
      env.DB.prepare(
        `INSERT INTO warehouses (id, vendor_id, name, lat, lng, postal_code, country, created_at)
         VALUES (?, ?, 'W', 12.9, 77.6, '560001', 'IN', ?)`,
      ).bind(wh, vendorId, NOW),
    ),
  ]);
  return { vendorId, whs };
}

async function skuOf(vendorId: string) {
  const productId = uid("prd");
  const skuId = uid("sku");
  await env.DB.batch([
    env.DB.prepare("INSERT INTO products (id, title, created_at) VALUES (?, 'P', ?)").bind(productId, NOW),
    env.DB.prepare(
      `INSERT INTO skus (id, vendor_id, product_id, code, title, price_minor, currency, barcode, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'S', 1000, 'INR', ?, ?, ?)`,
    ).bind(skuId, vendorId, productId, skuId, skuId, NOW, NOW),
  ]);
  return skuId;
}

type Tokens = { ops: string; vendor: string; otherVendor: string; customer: string };
let mine: { vendorId: string; whs: string[] };
let theirs: { vendorId: string; whs: string[] };
let t: Tokens;

beforeAll(async () => {
  mine = await vendorWithWarehouses(2);
  theirs = await vendorWithWarehouses(1);
  t = {
    ops: await tokenFor("ops"),
    vendor: await tokenFor("vendor", { vendorId: mine.vendorId }),
    otherVendor: await tokenFor("vendor", { vendorId: theirs.vendorId }),
    customer: (await newCustomer()).token,
  };
});

const put = (skuId: string, body: unknown, token?: string) => api("PUT", `/v1/skus/${skuId}/stock`, { token, body });
const adjust = (skuId: string, body: unknown, token?: string, key: string | null = uid("key")) =>
  api("POST", `/v1/skus/${skuId}/stock/adjustments`, {
    token,
    body,
    headers: key === null ? {} : { "idempotency-key": key },
  });
const get = (skuId: string, token?: string) => api("GET", `/v1/skus/${skuId}/stock`, { token });

function holdUnits(skuId: string, warehouseId: string, qty: number) {
  const stub = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId));
  return stub.reserve({ skuId, holdId: uid("h"), qty, warehouses: [warehouseId], expiresAt: Date.now() + 3600_000 });
}

describe("stock routes", () => {
  it("sets and reads exact levels for admin, ops and the owning vendor", async () => {
    const skuId = await skuOf(mine.vendorId);
    const [w1, w2] = mine.whs as [string, string];
    const a = await put(skuId, { warehouseId: w1, onHand: 7, reason: "initial count" }, ADMIN);
    expect(a.status).toBe(200);
    expect(a.body).toEqual({
      skuId,
      warehouses: [{ warehouseId: w1, onHand: 7, available: 7, held: 0, committed: 0, version: 1 }],
      totals: { onHand: 7, available: 7, held: 0, committed: 0 },
    });
    const v = await put(skuId, { warehouseId: w2, onHand: 3, reason: "count" }, t.vendor);
    expect(v.status).toBe(200);
    expect(v.body.totals).toEqual({ onHand: 10, available: 10, held: 0, committed: 0 });
    await holdUnits(skuId, w1, 2);
    for (const token of [ADMIN, t.ops, t.vendor]) {
      const r = await get(skuId, token);
      expect(r.status).toBe(200);
      expect(r.body.totals).toEqual({ onHand: 10, available: 8, held: 2, committed: 0 });
      expect(r.body.warehouses).toHaveLength(2);
    }
    const byOps = await adjust(skuId, { warehouseId: w2, delta: 5, reason: "restock" }, t.ops);
    expect(byOps.status).toBe(200);
    expect(byOps.body.totals.onHand).toBe(15);
  });

  it("shows anyone else only the total available", async () => {
    const skuId = await skuOf(mine.vendorId);
    await put(skuId, { warehouseId: mine.whs[0], onHand: 4, reason: "count" }, ADMIN);
    await holdUnits(skuId, mine.whs[0]!, 1);
    for (const token of [undefined, t.customer, t.otherVendor]) {
      const r = await get(skuId, token);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ skuId, totals: { available: 3 } });
    }
  });

  it("counts a SKU the catalog does not list (paused, or its vendor suspended) for its vendor, ops and admins only", async () => {
    const seller = await vendorWithWarehouses(1);
    const vendor = await tokenFor("vendor", { vendorId: seller.vendorId });
    const [paused, ofSuspended] = [await skuOf(seller.vendorId), await skuOf(seller.vendorId)];
    for (const skuId of [paused, ofSuspended])
      await put(skuId, { warehouseId: seller.whs[0], onHand: 4, reason: "count" }, ADMIN);
    expect((await get(paused)).status).toBe(200);
    expect((await api("PATCH", `/v1/skus/${paused}`, { token: ADMIN, body: { status: "inactive" } })).status).toBe(200);
    const ticket = (token: string, skuId: string) =>
      api("POST", "/v1/feeds/tickets", { token, body: { feed: `sku:${skuId}` } });
    const socket = (skuId: string) =>
      SELF.fetch(`https://oms.test/v1/feeds/skus/${skuId}`, { headers: { Upgrade: "websocket" } });
    expect((await socket(ofSuspended)).status).toBe(101);
    await api("PATCH", `/v1/vendors/${seller.vendorId}`, { token: ADMIN, body: { status: "suspended" } });
    for (const skuId of [paused, ofSuspended]) {
      for (const token of [undefined, t.customer, t.otherVendor]) {
        const r = await get(skuId, token);
        expect(r.status).toBe(404);
        expect(r.body.code).toBe("NOT_FOUND");
      }
      for (const token of [ADMIN, t.ops, vendor]) expect((await get(skuId, token)).body.totals.onHand).toBe(4);
      // Its live count the same way: no public socket, no ticket but for those who manage it.
      expect((await socket(skuId)).status).toBe(404);
      expect((await ticket(t.customer, skuId)).status).toBe(404);
      expect((await ticket(vendor, skuId)).status).toBe(201);
    }
  });

  it("answers 404 for an unknown SKU", async () => {
    const skuId = uid("sku");
    expect((await get(skuId)).status).toBe(404);
    const r = await put(skuId, { warehouseId: mine.whs[0], onHand: 1, reason: "count" }, ADMIN);
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("NOT_FOUND");
    expect((await adjust(skuId, { warehouseId: mine.whs[0], delta: 1, reason: "restock" }, ADMIN)).status).toBe(404);
  });

  it("answers another vendor 404 and changes nothing", async () => {
    const skuId = await skuOf(mine.vendorId);
    await put(skuId, { warehouseId: mine.whs[0], onHand: 5, reason: "count" }, ADMIN);
    const p = await put(skuId, { warehouseId: mine.whs[0], onHand: 50, reason: "count" }, t.otherVendor);
    expect(p.status).toBe(404);
    expect(p.headers.get("content-type")).toContain("application/problem+json");
    const a = await adjust(skuId, { warehouseId: mine.whs[0], delta: 50, reason: "restock" }, t.otherVendor);
    expect(a.status).toBe(404);
    const own = await put(skuId, { warehouseId: theirs.whs[0], onHand: 50, reason: "count" }, t.otherVendor);
    expect(own.status).toBe(404);
    expect((await get(skuId, ADMIN)).body.totals.onHand).toBe(5);
    expect((await get(skuId, ADMIN)).body.warehouses).toHaveLength(1);
  });

  it("answers 403 to a customer and 401 without a token", async () => {
    const skuId = await skuOf(mine.vendorId);
    const body = { warehouseId: mine.whs[0], onHand: 5, reason: "count" };
    const c = await put(skuId, body, t.customer);
    expect(c.status).toBe(403);
    expect(c.body.code).toBe("FORBIDDEN");
    expect((await adjust(skuId, { warehouseId: mine.whs[0], delta: 1, reason: "restock" }, t.customer)).status).toBe(
      403,
    );
    expect((await put(skuId, body)).status).toBe(401);
    expect((await get(skuId, ADMIN)).body.totals.onHand).toBe(0);
  });

  it("refuses a warehouse of another vendor with a field error", async () => {
    const skuId = await skuOf(mine.vendorId);
    for (const warehouseId of [theirs.whs[0], uid("wh")]) {
      const r = await put(skuId, { warehouseId, onHand: 5, reason: "count" }, ADMIN);
      expect(r.status).toBe(422);
      expect(r.body.code).toBe("VALIDATION_FAILED");
      expect(r.body.errors).toEqual([{ path: "warehouseId", message: expect.any(String) }]);
    }
    expect((await get(skuId, ADMIN)).body.warehouses).toEqual([]);
  });

  it("validates bodies", async () => {
    const skuId = await skuOf(mine.vendorId);
    const wh = mine.whs[0];
    for (const body of [
      { warehouseId: wh, onHand: -1, reason: "count" },
      { warehouseId: wh, onHand: 1.5, reason: "count" },
      { warehouseId: wh, onHand: 1 },
      { warehouseId: wh, onHand: 1, reason: "count", extra: true },
    ]) {
      expect((await put(skuId, body, ADMIN)).status).toBe(422);
    }
    for (const body of [
      { warehouseId: wh, delta: 0, reason: "restock" },
      { warehouseId: wh, delta: 1, reason: "theft" },
      { warehouseId: wh, delta: "1", reason: "restock" },
    ]) {
      expect((await adjust(skuId, body, ADMIN)).status).toBe(422);
    }
  });

  it("refuses to go below held + committed with the minimum in the problem", async () => {
    const skuId = await skuOf(mine.vendorId);
    const wh = mine.whs[0]!;
    await put(skuId, { warehouseId: wh, onHand: 10, reason: "count" }, ADMIN);
    expect((await holdUnits(skuId, wh, 6)).ok).toBe(true);
    const p = await put(skuId, { warehouseId: wh, onHand: 5, expectedVersion: 1, reason: "count" }, t.vendor);
    expect(p.status).toBe(409);
    expect(p.body).toMatchObject({ code: "STOCK_BELOW_RESERVED", warehouseId: wh, minimum: 6 });
    const a = await adjust(skuId, { warehouseId: wh, delta: -5, reason: "damage" }, t.vendor);
    expect(a.status).toBe(409);
    expect(a.body).toMatchObject({ code: "STOCK_BELOW_RESERVED", warehouseId: wh, minimum: 6 });
    const ok = await adjust(skuId, { warehouseId: wh, delta: -4, reason: "damage" }, t.vendor);
    expect(ok.status).toBe(200);
    expect(ok.body.totals).toEqual({ onHand: 6, available: 0, held: 6, committed: 0 });
  });

  it("applies an adjustment once per Idempotency-Key, scoped to the caller", async () => {
    const skuId = await skuOf(mine.vendorId);
    const wh = mine.whs[0]!;
    await put(skuId, { warehouseId: wh, onHand: 10, reason: "count" }, ADMIN);
    const body = { warehouseId: wh, delta: 5, reason: "restock" };

    const none = await adjust(skuId, body, t.vendor, null);
    expect(none.status).toBe(400);
    expect(none.body.code).toBe("IDEMPOTENCY_KEY_REQUIRED");

    const key = uid("key");
    const [first, second] = await Promise.all([adjust(skuId, body, t.vendor, key), adjust(skuId, body, t.vendor, key)]);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(first.body.totals.onHand).toBe(15);
    const later = await adjust(skuId, body, t.vendor, key);
    expect(later.body).toEqual(first.body);
    expect((await get(skuId, ADMIN)).body.totals.onHand).toBe(15);

    const reused = await adjust(skuId, { ...body, delta: 6 }, t.vendor, key);
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe("IDEMPOTENCY_KEY_REUSED");

    // Another caller's identical key is its own.
    const ops = await adjust(skuId, body, t.ops, key);
    expect(ops.status).toBe(200);
    expect(ops.body.totals.onHand).toBe(20);
    // So is another token's of the same vendor: its ERP and its warehouse app count keys apart.
    const warehouseApp = await tokenFor("vendor", { vendorId: mine.vendorId });
    const app = await adjust(skuId, body, warehouseApp, key);
    expect(app.status, JSON.stringify(app.body)).toBe(200);
    expect(app.body.totals.onHand).toBe(25);
  });

  it("lets a retry take over the key of a request that died before it answered, and applies it once", async () => {
    const skuId = await skuOf(mine.vendorId);
    const wh = mine.whs[0]!;
    await put(skuId, { warehouseId: wh, onHand: 10, reason: "count" }, ADMIN);
    const body = { warehouseId: wh, delta: 5, reason: "restock" };
    const key = uid("key");
    const first = await adjust(skuId, body, t.vendor, key);
    expect(first.body.totals.onHand).toBe(15);
    // The first request applied the count and died before it stored its answer (the phone lost
    // its signal, the isolate was evicted): its key is left claimed, six minutes ago.
    const died = async () =>
      env.DB.prepare(
        "update idempotency_keys set response_status = 0, response_body = '', created_at = ? where key = ?",
      )
        .bind(new Date(Date.now() - 6 * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z"), key)
        .run();
    await died();

    const retry = await adjust(skuId, body, t.vendor, key);
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(retry.body.totals.onHand).toBe(15);
    const again = await adjust(skuId, body, t.vendor, key);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await get(skuId, ADMIN)).body.totals.onHand).toBe(15);

    // Another body under the lapsed key is still a reused key.
    await died();
    const reused = await adjust(skuId, { ...body, delta: 6 }, t.vendor, key);
    expect(reused.status).toBe(422);
    expect((await get(skuId, ADMIN)).body.totals.onHand).toBe(15);
  });

  it("publishes the stock routes with their roles in the OpenAPI document", async () => {
    const doc = await api("GET", "/v1/openapi.json");
    expect(doc.status).toBe(200);
    const path = doc.body.paths["/skus/{skuId}/stock"];
    expect(path.get["x-roles"]).toEqual(["public"]);
    expect(path.put["x-roles"]).toEqual(["admin", "ops", "vendor"]);
    const adjustments = doc.body.paths["/skus/{skuId}/stock/adjustments"].post;
    expect(adjustments["x-roles"]).toEqual(["admin", "ops", "vendor"]);
    expect(adjustments.parameters.map((p: { name: string }) => p.name)).toContain("idempotency-key");
  });
});
