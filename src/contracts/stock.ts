import { z } from "@hono/zod-openapi";
import { Id, Problem } from "./common";

/** Far above any real shelf, far below where integer arithmetic could overflow. */
const MAX_UNITS = 1_000_000_000;

export const adjustmentReasons = ["restock", "count", "damage", "return"] as const;

export const SkuStockParams = z.object({ skuId: Id });

/**
 * The on-hand version a count was made against, as the level showed it (`version`); 0 for a level
 * that does not exist yet. Required once the level exists: a count against a version that has moved
 * since (a restock, adjustment, shipment or return in between) is refused with 412 STALE_COUNT.
 */
const ExpectedVersion = z
  .number()
  .int()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .openapi({ description: "The level's `version` when it was counted; 0 for a warehouse with no level yet" });

const countFields = {
  warehouseId: Id,
  onHand: z.number().int().min(0).max(MAX_UNITS),
  expectedVersion: ExpectedVersion.optional(),
};

export const StockCount = z.object(countFields).strict().openapi("StockCount");
export type StockCount = z.infer<typeof StockCount>;

const reason = z.string().trim().min(1).max(200);

/** A count of one warehouse, or `counts` of several applied all together or not at all. */
export const SetStock = z
  .union([
    z.object({ ...countFields, reason }).strict(),
    z
      .object({
        counts: z
          .array(StockCount)
          .min(1)
          .max(100)
          .refine((cs) => new Set(cs.map((c) => c.warehouseId)).size === cs.length, "each warehouse at most once"),
        reason,
      })
      .strict(),
  ])
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

/**
 * Required, and published so (`param.required`), but optional to the validator: the route answers
 * its absence with 400 IDEMPOTENCY_KEY_REQUIRED, which the schema's 422 would otherwise replace.
 */
export const IdempotencyKeyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({
      param: { required: true },
      description: "Required: a replay with the same key and body applies nothing again.",
    }),
});

export const WarehouseStockLevel = z
  .object({
    warehouseId: z.string(),
    onHand: z.number().int(),
    available: z.number().int(),
    held: z.number().int(),
    committed: z.number().int(),
    /** Moves with every change of on hand, never with holds or commits; a count sends it back. */
    version: z.number().int().openapi({ description: "On-hand version: send it back as a count's expectedVersion" }),
  })
  .openapi("WarehouseStockLevel");

/**
 * Exact levels, for admin, ops and the SKU's own vendor. The read (GET) adds the SKU's `version`, as
 * the vendor feed's `stock.changed` carries it, so a screen that has both keeps the newer.
 */
export const StockLevels = z
  .object({
    skuId: z.string(),
    version: z
      .number()
      .int()
      .optional()
      .openapi({
        description:
          "In GET /v1/skus/{skuId}/stock: the SKU's stock version, which moves with every change of its levels (holds " +
          "included) as the vendor feed's stock.changed carries it; of two readings the higher is the newer",
      }),
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

/**
 * What a refused count (412 STALE_COUNT, 428 COUNT_VERSION_REQUIRED) adds to its problem body: the
 * levels whose version moved since they were counted (`expectedVersion` null when none was sent) and
 * every current level, to count again against.
 */
export const StaleCount = z
  .object({
    stale: z.array(
      z.object({ warehouseId: z.string(), expectedVersion: z.number().int().nullable(), version: z.number().int() }),
    ),
    levels: StockLevels,
  })
  .openapi("StaleCount");
export type StaleCount = z.infer<typeof StaleCount>;

const StaleCountProblem = z.object({ ...Problem.shape, ...StaleCount.shape }).openapi("StaleCountProblem");
const staleCountContent = { "application/problem+json": { schema: StaleCountProblem } };

/** The refusals of a count made against a moved (or no) on-hand version. */
export const staleCountResponses = {
  412: {
    description: "STALE_COUNT: a level changed since it was counted; nothing applied",
    content: staleCountContent,
  },
  428: {
    description: "COUNT_VERSION_REQUIRED: a level exists and its count sent no version",
    content: staleCountContent,
  },
} as const;

/** What anyone else may know: how many can be bought. */
export const PublicStock = z
  .object({ skuId: z.string(), totals: z.object({ available: z.number().int() }) })
  .openapi("PublicStock");
export type PublicStock = z.infer<typeof PublicStock>;

/**
 * How long a stock object keeps a change's key (an adjustment's, a restock's): promised for 24 h,
 * kept a week so a late retry still finds its answer and moves nothing twice.
 */
export const ADJUSTMENT_KEY_TTL_MS = 7 * 24 * 3_600_000;
