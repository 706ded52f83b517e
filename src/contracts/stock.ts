import { z } from "@hono/zod-openapi";
import { Id } from "./common";

/** Far above any real shelf, far below where integer arithmetic could overflow. */
const MAX_UNITS = 1_000_000_000;

export const adjustmentReasons = ["restock", "count", "damage", "return"] as const;

export const SkuStockParams = z.object({ skuId: Id });

export const SetStock = z
  .object({
    warehouseId: Id,
    onHand: z.number().int().min(0).max(MAX_UNITS),
    reason: z.string().trim().min(1).max(200),
  })
  .strict()
  .openapi("SetStock");
export type SetStock = z.infer<typeof SetStock>;

export const StockAdjustment = z
  .object({
    warehouseId: Id,
    delta: z
      .number()
      .int()
      .min(-MAX_UNITS)
      .max(MAX_UNITS)
      .refine((d) => d !== 0, "delta must not be 0"),
    reason: z.enum(adjustmentReasons),
  })
  .strict()
  .openapi("StockAdjustment");
export type StockAdjustment = z.infer<typeof StockAdjustment>;

export const IdempotencyKeyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({ description: "Required: a replay with the same key and body applies nothing again." }),
});

export const WarehouseStockLevel = z
  .object({
    warehouseId: z.string(),
    onHand: z.number().int(),
    available: z.number().int(),
    held: z.number().int(),
    committed: z.number().int(),
  })
  .openapi("WarehouseStockLevel");

/** Exact levels, for admin, ops and the SKU's own vendor. */
export const StockLevels = z
  .object({
    skuId: z.string(),
    warehouses: z.array(WarehouseStockLevel),
    totals: z.object({
      onHand: z.number().int(),
      available: z.number().int(),
      held: z.number().int(),
      committed: z.number().int(),
    }),
  })
  .openapi("StockLevels");
export type StockLevels = z.infer<typeof StockLevels>;

/** What anyone else may know: how many can be bought. */
export const PublicStock = z
  .object({ skuId: z.string(), totals: z.object({ available: z.number().int() }) })
  .openapi("PublicStock");
export type PublicStock = z.infer<typeof PublicStock>;
