import { describe, expect, it } from "vitest";
import { ADMIN, api, uid } from "../support/api";
import { newWarehouse } from "../support/catalog";
import {
  BENGALURU,
  checkout,
  customers,
  expectStockEquation,
  MUMBAI,
  stockedSku,
  stockOf,
} from "../support/marketplace";

type Level = { warehouseId: string; onHand: number; held: number; version: number };

const put = (skuId: string, body: unknown) => api("PUT", `/v1/skus/${skuId}/stock`, { token: ADMIN, body });
const restock = (skuId: string, warehouseId: string, delta: number) =>
  api("POST", `/v1/skus/${skuId}/stock/adjustments`, {
    token: ADMIN,
    body: { warehouseId, delta, reason: "restock" },
    headers: { "idempotency-key": uid("key") },
  });

async function levelOf(skuId: string, warehouseId: string): Promise<Level> {
  const r = await api("GET", `/v1/skus/${skuId}/stock`, { token: ADMIN });
  const w = (r.body.warehouses as Level[]).find((l) => l.warehouseId === warehouseId);
  if (!w) throw new Error(`no level in ${warehouseId}`);
  return w;
}

describe("stock counts against an on-hand version", () => {
  it("shows each warehouse's version and applies a fresh count", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const [wh] = s.warehouseIds as [string];
    const before = await levelOf(s.skuId, wh);
    expect(before.version).toBe(1);
    const r = await put(s.skuId, { warehouseId: wh, onHand: 12, expectedVersion: before.version, reason: "count" });
    expect(r.status).toBe(200);
    expect(r.body.warehouses).toEqual([
      { warehouseId: wh, onHand: 12, available: 12, held: 0, committed: 0, version: 2 },
    ]);
  });

  it("answers 412 STALE_COUNT with the current levels after a restock in between, and changes nothing", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const [wh] = s.warehouseIds as [string];
    const counted = await levelOf(s.skuId, wh);
    expect((await restock(s.skuId, wh, 5)).status).toBe(200);

    const r = await put(s.skuId, { warehouseId: wh, onHand: 9, expectedVersion: counted.version, reason: "count" });
    expect(r.status).toBe(412);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body).toMatchObject({
      code: "STALE_COUNT",
      status: 412,
      stale: [{ warehouseId: wh, expectedVersion: counted.version, version: counted.version + 1 }],
      levels: { skuId: s.skuId, warehouses: [{ warehouseId: wh, onHand: 15, version: counted.version + 1 }] },
    });
    expect((await levelOf(s.skuId, wh)).onHand).toBe(15);

    // Counting again against the level the refusal showed applies.
    const again = await put(s.skuId, {
      warehouseId: wh,
      onHand: 9,
      expectedVersion: counted.version + 1,
      reason: "count",
    });
    expect(again.status).toBe(200);
    expect(again.body.totals.onHand).toBe(9);
  });

  it("answers 428 to a count of an existing level without a version; a new level needs none", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 4 }] });
    const [wh] = s.warehouseIds as [string];
    const r = await put(s.skuId, { warehouseId: wh, onHand: 8, reason: "count" });
    expect(r.status).toBe(428);
    expect(r.body).toMatchObject({
      code: "COUNT_VERSION_REQUIRED",
      stale: [{ warehouseId: wh, expectedVersion: null, version: 1 }],
      levels: { warehouses: [{ warehouseId: wh, onHand: 4, version: 1 }] },
    });
    expect((await levelOf(s.skuId, wh)).onHand).toBe(4);

    const other = await newWarehouse(s.vendorId, MUMBAI);
    const created = await put(s.skuId, { warehouseId: other.id, onHand: 3, reason: "count" });
    expect(created.status).toBe(200);
    expect(created.body.totals.onHand).toBe(7);
  });

  it("counts several warehouses all or nothing", async () => {
    const s = await stockedSku({
      warehouses: [
        { at: BENGALURU, onHand: 10 },
        { at: MUMBAI, onHand: 10 },
      ],
    });
    const [w1, w2] = s.warehouseIds as [string, string];
    expect((await restock(s.skuId, w2, 1)).status).toBe(200);
    const stale = await put(s.skuId, {
      counts: [
        { warehouseId: w1, onHand: 3, expectedVersion: 1 },
        { warehouseId: w2, onHand: 3, expectedVersion: 1 },
      ],
      reason: "count",
    });
    expect(stale.status).toBe(412);
    expect(stale.body.stale).toEqual([{ warehouseId: w2, expectedVersion: 1, version: 2 }]);
    expect((await stockOf(s.skuId)).totals.onHand).toBe(21);

    const fresh = await put(s.skuId, {
      counts: [
        { warehouseId: w1, onHand: 3, expectedVersion: 1 },
        { warehouseId: w2, onHand: 4, expectedVersion: 2 },
      ],
      reason: "count",
    });
    expect(fresh.status).toBe(200);
    const byWarehouse = Object.fromEntries(
      fresh.body.warehouses.map((w: Level) => [w.warehouseId, [w.onHand, w.version]]),
    );
    expect(byWarehouse).toEqual({ [w1]: [3, 2], [w2]: [4, 3] });

    const twice = await put(s.skuId, {
      counts: [
        { warehouseId: w1, onHand: 1, expectedVersion: 2 },
        { warehouseId: w1, onHand: 2, expectedVersion: 2 },
      ],
      reason: "count",
    });
    expect(twice.status).toBe(422);
    const foreign = await put(s.skuId, {
      counts: [
        { warehouseId: w1, onHand: 1, expectedVersion: 2 },
        { warehouseId: uid("wh"), onHand: 2 },
      ],
      reason: "count",
    });
    expect(foreign.status).toBe(422);
    expect(foreign.body.errors).toEqual([{ path: "counts.1.warehouseId", message: expect.any(String) }]);
    expect((await stockOf(s.skuId)).totals.onHand).toBe(7);
  });

  it("applies a count made before concurrent checkouts: holds do not move the version", async () => {
    const s = await stockedSku({ vendor: { hourlyCapacity: 1000 }, warehouses: [{ at: BENGALURU, onHand: 60 }] });
    const [wh] = s.warehouseIds as [string];
    const counted = await levelOf(s.skuId, wh);
    const buyers = await customers(40);
    const [orders, counts] = await Promise.all([
      Promise.all(buyers.map((b) => checkout(b.token, [{ skuId: s.skuId, qty: 1 }]))),
      Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          put(s.skuId, { warehouseId: wh, onHand: 80 + i, expectedVersion: counted.version, reason: "count" }),
        ),
      ),
    ]);
    expect(orders.map((r) => r.status)).toEqual(orders.map(() => 201));
    // Exactly one count against the version read before applies; it moves the version, so the rest are stale.
    expect(counts.filter((r) => r.status === 200)).toHaveLength(1);
    const refused = counts.filter((r) => r.status !== 200);
    expect(refused.map((r) => r.body.code)).toEqual(refused.map(() => "STALE_COUNT"));
    const won = counts.find((r) => r.status === 200)!.body.warehouses[0].onHand as number;
    const after = await levelOf(s.skuId, wh);
    expect(after).toMatchObject({ onHand: won, held: 40, version: counted.version + 1 });
    await expectStockEquation(s.skuId);
  });

  it("documents the version, the several-warehouse form and the refusals in the OpenAPI document", async () => {
    const doc = await api("GET", "/v1/openapi.json");
    expect(doc.status).toBe(200);
    const route = doc.body.paths["/skus/{skuId}/stock"].put;
    expect(Object.keys(route.responses)).toEqual(expect.arrayContaining(["200", "409", "412", "428"]));
    const schemas = doc.body.components.schemas;
    expect(schemas.WarehouseStockLevel.required).toContain("version");
    expect(Object.keys(schemas.StockCount.properties)).toEqual(["warehouseId", "onHand", "expectedVersion"]);
  });
});
