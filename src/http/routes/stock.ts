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
  staleCountResponses,
} from "../../contracts/stock";
import { adjustStockBy, readStock, type StockChange, setStock } from "../../inventory/stock-levels";
import { router } from "../context";
import { ApiError, validationError } from "../errors";
import { defineRoute } from "../route";

const managers = ["admin", "ops", "vendor"] as const;

const read = defineRoute({
  method: "get",
  path: "/skus/{skuId}/stock",
  access: "public",
  summary:
    "Stock of a SKU: exact per warehouse for admin, ops and its vendor; total available for anyone else, while the catalog lists it",
  request: { params: SkuStockParams },
  responses: { 200: json(z.union([StockLevelsSchema, PublicStock]), "Stock levels"), ...problemResponses },
});

const set = defineRoute({
  method: "put",
  path: "/skus/{skuId}/stock",
  access: [...managers],
  summary: "Set counted on-hand levels in one or more warehouses, all or nothing",
  description:
    "Each count sends the level's `version` it was counted against as `expectedVersion` (0 or none for a warehouse " +
    "with no level yet). A version that moved since (restock, adjustment, shipment, return; holds do not move it) " +
    "answers 412 STALE_COUNT, a missing one 428 COUNT_VERSION_REQUIRED, both with the current levels; a count " +
    "below what is held and committed answers 409. A refusal applies nothing.",
  request: { params: SkuStockParams, ...jsonBody(SetStock) },
  responses: {
    200: json(StockLevelsSchema, "Stock levels after the change"),
    ...problemResponses,
    ...staleCountResponses,
  },
});

const adjust = defineRoute({
  method: "post",
  path: "/skus/{skuId}/stock/adjustments",
  access: [...managers],
  summary: "Adjust on-hand stock in one warehouse by a delta with a reason (Idempotency-Key required)",
  request: { params: SkuStockParams, headers: IdempotencyKeyHeader, ...jsonBody(StockAdjustment) },
  responses: { 200: json(StockLevelsSchema, "Stock levels after the change"), ...problemResponses },
});

function levelsOf(r: StockChange): StockLevels {
  if (r.ok) return r.levels;
  switch (r.code) {
    case "NOT_FOUND":
      throw new ApiError("NOT_FOUND", r.detail);
    case "VALIDATION_FAILED":
      throw validationError(r.errors);
    case "IDEMPOTENCY_KEY_REUSED":
      throw new ApiError("IDEMPOTENCY_KEY_REUSED");
    case "STOCK_BELOW_RESERVED":
      throw new ApiError(
        "STOCK_BELOW_RESERVED",
        `On hand cannot go below ${r.minimum}: that many units are held or committed in this warehouse`,
        { warehouseId: r.warehouseId, minimum: r.minimum },
      );
    case "STALE_COUNT":
      throw new ApiError(
        "STALE_COUNT",
        "Stock changed since it was counted; nothing was applied. Count again against the current levels",
        { stale: r.stale, levels: r.levels },
      );
    case "COUNT_VERSION_REQUIRED":
      throw new ApiError(
        "COUNT_VERSION_REQUIRED",
        "Send each existing level's version as expectedVersion; nothing was applied",
        { stale: r.stale, levels: r.levels },
      );
  }
}

export const stock = router()
  .openapi(read, async (c) => {
    const r = await readStock(c.env, c.get("principal"), c.req.valid("param").skuId);
    if (!r.ok) throw new ApiError("NOT_FOUND", "No such SKU");
    return c.json(r.levels, 200);
  })
  .openapi(set, async (c) => {
    const { skuId } = c.req.valid("param");
    return c.json(levelsOf(await setStock(c.env, c.get("principal")!, skuId, c.req.valid("json"))), 200);
  })
  .openapi(adjust, async (c) => {
    const { skuId } = c.req.valid("param");
    const key = c.req.valid("header")["idempotency-key"];
    if (!key) throw new ApiError("IDEMPOTENCY_KEY_REQUIRED");
    const r = await adjustStockBy(c.env, c.get("principal")!, skuId, c.req.valid("json"), key);
    return c.json(levelsOf(r), 200);
  });
