import { z } from "@hono/zod-openapi";
import { Id, IsoTime, MAX_CART_LINES, MAX_LINE_QTY, Money, ParcelPrice } from "./common";

// Wire formats of routing. Runtime-neutral: the web app imports these too. The quote takes the
// checkout body (contracts/orders.ts), which is why this module does not import that one.

export const FactorScores = z
  .object({
    distance: z.number(),
    delivery: z.number(),
    speed: z.number(),
    reliability: z.number(),
    cost: z.number(),
  })
  .openapi("FactorScores");

/** What a person reads for the ids beside it; absent only when the row named has gone. */
const PlaceNames = {
  vendorName: z.string().optional(),
  warehouseName: z.string().optional(),
  skuTitle: z.string().optional(),
};

const Placement = z.object({
  vendorId: z.string(),
  warehouseId: z.string(),
  skuId: z.string(),
  qty: z.number().int(),
  ...PlaceNames,
});

export const RoutingCandidate = z.object({
  vendorId: z.string(),
  warehouseId: z.string(),
  skuId: z.string(),
  ...PlaceNames,
  scores: FactorScores,
  total: z.number(),
  available: z.number().int().nullable().openapi({ description: "null: not read; the stock object decided" }),
  distanceKm: z.number(),
  shipping: Money.openapi({ description: "This line alone from here, by the rate cards" }),
  windowHours: z.number().openapi({ description: "Dispatch SLA plus transit: the promise it allows" }),
  excluded: z.enum(["vendor_at_capacity", "no_stock"]).optional(),
});

/** Why an order went where it went; for ops and admins only. */
export const RoutingView = z
  .object({
    weightsVersion: z.number().int(),
    weights: FactorScores,
    windowHours: z.number(),
    lines: z.array(
      z.object({
        lineId: z.string().nullable().openapi({ description: "The first line item of this cart line now" }),
        lineIndex: z.number().int(),
        skuId: z.string().optional(),
        productId: z.string().optional(),
        productTitle: z.string().optional().openapi({ description: "The line's product, by name" }),
        qty: z.number().int(),
        chosen: z.array(Placement),
        planned: z.array(Placement).optional().openapi({ description: "Only when the reservation differed" }),
        candidates: z.array(RoutingCandidate),
        omitted: z.number().int(),
        reason: z.string(),
        reasonNamed: z
          .string()
          .optional()
          .openapi({ description: "`reason` with the names of the vendors, warehouses and SKUs it cites by id" }),
      }),
    ),
  })
  .openapi("Routing");
export type RoutingView = z.infer<typeof RoutingView>;

export const QuoteShipment = z.object({
  vendorId: z.string(),
  warehouseId: z.string(),
  lines: z.array(
    z.object({
      lineIndex: z.number().int(),
      skuId: z.string(),
      productId: z.string().optional(),
      qty: z.number().int(),
      unitPrice: Money,
    }),
  ),
  shipping: Money,
  promisedDispatchBy: IsoTime,
  promisedDeliveryBy: IsoTime,
});

export const Quote = z
  .object({ shipments: z.array(QuoteShipment), total: Money.openapi({ description: "Items plus shipping" }) })
  .openapi("RoutingQuote");
export type Quote = z.infer<typeof Quote>;

export const ReassignTarget = z
  .object({
    skuId: Id.optional().openapi({ description: "Another offer (SKU) of the same product" }),
    vendorId: Id.optional().openapi({ description: "That vendor's offer of the same product" }),
    warehouseId: Id.optional(),
  })
  .strict()
  .refine((t) => !(t.skuId && t.vendorId), { message: "give skuId or vendorId, not both", path: ["vendorId"] })
  .openapi({
    description:
      "{warehouseId}: that warehouse (its vendor's offer of each line's product when it is another vendor's); {skuId, warehouseId?}: that offer; {vendorId, warehouseId?}: that vendor; {}: routing picks the best place other than the current one. Without warehouseId routing ranks the warehouses.",
  });

export const ReassignBody = z
  .object({
    lines: z
      .array(z.object({ lineId: Id, qty: z.number().int().min(1).max(MAX_LINE_QTY).optional() }).strict())
      .min(1)
      .max(MAX_CART_LINES)
      .optional()
      .openapi({ description: "Line items to move (all of the sub-order's when absent); qty moves part of one" }),
    target: ReassignTarget,
    reason: z.string().trim().min(1).max(500),
  })
  .strict()
  .openapi("ReassignBody");
export type ReassignBody = z.infer<typeof ReassignBody>;

const Fraction = z.number().min(0).max(1);
export const RoutingWeightsBody = z
  .object({
    distance: Fraction,
    delivery: Fraction,
    speed: Fraction,
    reliability: Fraction,
    cost: Fraction,
    groupTolerance: z.number().min(0).max(0.5),
    costBound: z.number().min(0).max(5),
  })
  .strict()
  .refine((w) => w.distance + w.delivery + w.speed + w.reliability + w.cost > 0, {
    message: "at least one factor must weigh something",
  })
  .openapi("RoutingWeights");

export const RoutingWeightsVersion = z
  .object({
    version: z.number().int(),
    weights: RoutingWeightsBody,
    changes: z.unknown(),
    createdAt: IsoTime,
  })
  .openapi("RoutingWeightsVersion");

export const RoutingWeightsHistory = z.object({ items: z.array(RoutingWeightsVersion) });

export const RateCardBody = z
  .object({
    vendorId: Id.nullable().default(null).openapi({ description: "null: the platform's card" }),
    maxKm: z.number().int().min(1).max(40_000),
    maxWeightGrams: z.number().int().min(1).max(1_000_000),
    price: ParcelPrice,
    transitDays: z.number().int().min(0).max(60),
  })
  .strict()
  .openapi("RateCardBody");

export const RateCard = z
  .object({
    id: z.string(),
    vendorId: z.string().nullable(),
    maxKm: z.number().int(),
    maxWeightGrams: z.number().int(),
    price: Money,
    transitDays: z.number().int(),
  })
  .openapi("RateCard");

export const RateCardQuery = z.object({
  vendorId: z.string().optional().openapi({ description: "A vendor's cards, or `platform` for the platform's" }),
});

export const VendorScoreBody = z
  .object({
    avgDispatchHours: z.number().min(0).max(720),
    onTimeRateBps: z.number().int().min(0).max(10_000),
    breachRateBps: z.number().int().min(0).max(10_000),
    cancelRateBps: z.number().int().min(0).max(10_000),
    sampleSize: z.number().int().min(0).max(1_000_000),
  })
  .strict()
  .openapi("VendorScoreBody");

export const VendorScore = VendorScoreBody.extend({
  vendorId: z.string(),
  weightsVersion: z.number().int().nullable(),
  updatedAt: IsoTime,
}).openapi("VendorScore");

export const RoutingBenchBody = z
  .object({
    iterations: z.number().int().min(1).max(5_000).default(500),
    lines: z.number().int().min(1).max(50).default(10),
    vendors: z.number().int().min(1).max(200).default(50),
    warehousesPerVendor: z.number().int().min(1).max(5).default(3),
  })
  .strict();

export const RoutingBenchResult = z.object({
  iterations: z.number().int(),
  shape: z.object({ lines: z.number(), vendors: z.number(), warehousesPerVendor: z.number(), candidates: z.number() }),
  ms: z.object({ p50: z.number(), p90: z.number(), p99: z.number(), max: z.number(), mean: z.number() }),
});
