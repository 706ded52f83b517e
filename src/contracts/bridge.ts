import { z } from "@hono/zod-openapi";
import { Id } from "./common";
import { adjustmentReasons } from "./stock";

const MAX_UNITS = 1_000_000_000;
/** Rows per signed request: a sheet of a few thousand lines goes in a few requests. */
export const MAX_BRIDGE_ROWS = 1000;
/** How far past its arrival a count's `countedAt` may be: a sheet's clock may run a little ahead. */
export const COUNTED_AT_MAX_AHEAD_MS = 5 * 60_000;

/**
 * One line of a vendor's sheet: a full count (physical on hand at `countedAt`) or a delta with its
 * reason, for one SKU (by id or by the vendor's own code) in one of the vendor's warehouses.
 */
export const BridgeRowInput = z
  .object({
    skuId: Id.optional(),
    skuCode: z.string().min(1).max(64).optional(),
    warehouseId: Id,
    count: z.number().int().min(0).max(MAX_UNITS).optional(),
    countedAt: z.iso.datetime({ offset: true }).optional(),
    delta: z.number().int().min(-MAX_UNITS).max(MAX_UNITS).optional(),
    reason: z.enum(adjustmentReasons).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.skuId === undefined) === (r.skuCode === undefined)) {
      ctx.addIssue({ code: "custom", path: ["skuId"], message: "give exactly one of skuId and skuCode" });
    }
    const isCount = r.count !== undefined || r.countedAt !== undefined;
    const isDelta = r.delta !== undefined || r.reason !== undefined;
    if (isCount === isDelta) {
      ctx.addIssue({
        code: "custom",
        path: ["count"],
        message: "a row is a count (count, countedAt) or a delta (delta, reason)",
      });
    } else if (isCount && (r.count === undefined || r.countedAt === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [r.count === undefined ? "count" : "countedAt"],
        message: "a count needs count and countedAt",
      });
    } else if (isDelta && (r.delta === undefined || r.delta === 0 || r.reason === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [r.reason === undefined ? "reason" : "delta"],
        message: "a delta needs a non-zero delta and a reason",
      });
    }
  })
  .openapi("BridgeRow");
export type BridgeRowInput = z.infer<typeof BridgeRowInput>;

export const BridgeRequest = z
  .object({ rows: z.array(BridgeRowInput).min(1).max(MAX_BRIDGE_ROWS) })
  .strict()
  .openapi("BridgeRequest");

export const BridgeReceipt = z
  .object({ staged: z.number().int(), rowIds: z.array(z.number().int()) })
  .openapi("BridgeReceipt");

export const BridgeSecret = z
  .object({
    vendorId: Id,
    secret: z.string().openapi({ description: "Shown once: store it in the sheet's script properties" }),
    rotatedAt: z.string(),
    url: z.string(),
    signature: z.string().openapi({ example: "Bridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of `t.body`>" }),
  })
  .openapi("BridgeSecret");

export const BridgeOutcome = z.enum(["applied", "superseded", "clamped"]);

export const DriftLine = z
  .object({
    skuId: Id,
    skuCode: z.string(),
    warehouseId: Id,
    warehouseName: z.string(),
    counted: z.number().int().openapi({ description: "What the sheet said was on hand at countedAt" }),
    countedAt: z.string(),
    marketplaceAtCount: z.number().int().openapi({
      description: "What the marketplace held on hand at countedAt: on hand before, less what moved since",
    }),
    drift: z.number().int().openapi({ description: "counted - marketplaceAtCount: positive when the sheet had more" }),
    onHandBefore: z.number().int(),
    onHandAfter: z.number().int(),
    applied: z.number().int().openapi({ description: "The change applied to on hand" }),
    shortfall: z.number().int().openapi({
      description: "Units the sheet is short of what was already held and committed (on hand stopped there)",
    }),
    outcome: BridgeOutcome,
    appliedAt: z.string(),
  })
  .openapi("BridgeDriftLine");
export type DriftLine = z.infer<typeof DriftLine>;

export const BridgeReport = z
  .object({
    vendorId: Id,
    configured: z.boolean(),
    rotatedAt: z.string().nullable(),
    staged: z.number().int().openapi({ description: "Rows received and not yet reconciled" }),
    lastAppliedAt: z.string().nullable(),
    lines: z.array(DriftLine),
  })
  .openapi("BridgeReport");
export type BridgeReport = z.infer<typeof BridgeReport>;
