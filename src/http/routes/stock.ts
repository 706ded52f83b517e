import { z } from "@hono/zod-openapi";
import { json, jsonBody, problemResponses } from "../../contracts/common";
import {
  IdempotencyKeyHeader,
  PublicStock,
  SetStock,
  SkuStockParams,
  StockAdjustment,
  type StockLevels,
  StockLevels as StockLevelsSchema,
} from "../../contracts/stock";
import { database } from "../../db/client";
import { warehouseVendor } from "../../db/orders";
import { findSku as findSkuRow } from "../../db/skus";
import { actorOf, type Principal } from "../../domain/principal";
import {
  adjustStock,
  type StockChangeResult,
  type StockSnapshot,
  setStockLevel,
  snapshotOf,
} from "../../gateways/stock";
import { router } from "../context";
import { ApiError, validationError } from "../errors";
import { defineRoute } from "../route";

const managers = ["admin", "ops", "vendor"] as const;

const read = defineRoute({
  method: "get",
  path: "/skus/{skuId}/stock",
  access: "public",
  summary: "Stock of a SKU: exact per warehouse for admin, ops and its vendor; total available for anyone else",
  request: { params: SkuStockParams },
  responses: { 200: json(z.union([StockLevelsSchema, PublicStock]), "Stock levels"), ...problemResponses },
});

const set = defineRoute({
  method: "put",
  path: "/skus/{skuId}/stock",
  access: [...managers],
  summary: "Set a counted on-hand level in one warehouse (refused below what is held and committed)",
  request: { params: SkuStockParams, ...jsonBody(SetStock) },
  responses: { 200: json(StockLevelsSchema, "Stock levels after the change"), ...problemResponses },
});

const adjust = defineRoute({
  method: "post",
  path: "/skus/{skuId}/stock/adjustments",
  access: [...managers],
  summary: "Adjust on-hand stock in one warehouse by a delta with a reason (Idempotency-Key required)",
  request: { params: SkuStockParams, headers: IdempotencyKeyHeader, ...jsonBody(StockAdjustment) },
  responses: { 200: json(StockLevelsSchema, "Stock levels after the change"), ...problemResponses },
});

type Sku = { id: string; vendorId: string };

async function findSku(env: Env, skuId: string): Promise<Sku> {
  const sku = await findSkuRow(database(env), skuId);
  if (!sku) throw new ApiError("NOT_FOUND", "No such SKU");
  return { id: sku.id, vendorId: sku.vendorId };
}

function manages(p: Principal | null, sku: Sku): boolean {
  return p?.role === "admin" || p?.role === "ops" || (p?.role === "vendor" && p.vendorId === sku.vendorId);
}

/** Another vendor's SKU is answered as if it did not exist, before anything is touched. */
async function managedSku(env: Env, p: Principal | null, skuId: string): Promise<Sku> {
  const sku = await findSku(env, skuId);
  if (!manages(p, sku)) throw new ApiError("NOT_FOUND", "No such SKU");
  return sku;
}

async function assertWarehouseOf(env: Env, sku: Sku, warehouseId: string): Promise<void> {
  if ((await warehouseVendor(database(env), warehouseId)) !== sku.vendorId) {
    throw validationError([{ path: "warehouseId", message: "not a warehouse of this SKU's vendor" }]);
  }
}

function levels(skuId: string, snap: StockSnapshot): StockLevels {
  return { skuId, warehouses: snap.warehouses, totals: snap.totals };
}

function applied(skuId: string, r: StockChangeResult): StockLevels {
  if (r.ok) return levels(skuId, r.snapshot);
  if (r.code === "IDEMPOTENCY_KEY_REUSED") throw new ApiError("IDEMPOTENCY_KEY_REUSED");
  throw new ApiError(
    "STOCK_BELOW_RESERVED",
    `On hand cannot go below ${r.minimum}: that many units are held or committed in this warehouse`,
    { minimum: r.minimum },
  );
}

function actorName(p: Principal): string {
  const a = actorOf(p);
  return `${a.role}:${a.id}`;
}

export const stock = router()
  .openapi(read, async (c) => {
    const { skuId } = c.req.valid("param");
    const sku = await findSku(c.env, skuId);
    const snap = await snapshotOf(c.env, skuId);
    if (manages(c.get("principal"), sku)) return c.json(levels(skuId, snap), 200);
    return c.json({ skuId, totals: { available: snap.totals.available } }, 200);
  })
  .openapi(set, async (c) => {
    const { skuId } = c.req.valid("param");
    const body = c.req.valid("json");
    const p = c.get("principal")!;
    const sku = await managedSku(c.env, p, skuId);
    await assertWarehouseOf(c.env, sku, body.warehouseId);
    const r = await setStockLevel(c.env, { skuId, ...body, actor: actorName(p) });
    return c.json(applied(skuId, r), 200);
  })
  .openapi(adjust, async (c) => {
    const { skuId } = c.req.valid("param");
    const body = c.req.valid("json");
    const key = c.req.valid("header")["idempotency-key"];
    if (!key) throw new ApiError("IDEMPOTENCY_KEY_REQUIRED");
    const p = c.get("principal")!;
    const sku = await managedSku(c.env, p, skuId);
    await assertWarehouseOf(c.env, sku, body.warehouseId);
    const actor = actorName(p);
    // Keys are scoped to the caller, so two callers can never collide on a key.
    const r = await adjustStock(c.env, { skuId, ...body, actor, idempotencyKey: `${actor}:${key}` });
    return c.json(applied(skuId, r), 200);
  });
