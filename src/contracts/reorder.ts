import { z } from "@hono/zod-openapi";
import { Id, IsoTime } from "./common";

/** Longest lead time a vendor may set: a year. */
export const MAX_LEAD_TIME_DAYS = 365;

export const SkuLeadTimeParams = z.object({ skuId: Id });

export const SetLeadTime = z
  .object({ leadTimeDays: z.number().int().min(0).max(MAX_LEAD_TIME_DAYS) })
  .strict()
  .openapi("SetLeadTime");
export type SetLeadTime = z.infer<typeof SetLeadTime>;

export const LeadTime = z.object({ skuId: Id, leadTimeDays: z.number().int() }).openapi("LeadTime");

export const ReorderParams = z.object({ vendorId: Id });

export const ReorderSuggestion = z
  .object({
    skuId: Id,
    code: z.string(),
    title: z.string(),
    /** Available units across the vendor's warehouses, from the stock mirror. */
    available: z.number().int(),
    lowStockThreshold: z.number().int(),
    /** Some warehouse of this SKU is at or below its threshold (an alert went out for it). */
    low: z.boolean(),
    leadTimeDays: z.number().int(),
    unitsSold: z.number().int().openapi({ description: "Units sold over the velocity window" }),
    /** Units a day over the window, ×100. */
    velocityPerDayX100: z.number().int(),
    /** The day stock runs out at that velocity; null when nothing sells, or not within ten years. */
    runOutDate: z.string().nullable(),
    /** Units to order now so stock lasts the lead time and the cover after it; 0 when none is needed. */
    quantity: z.number().int(),
    /** Order by this day for the stock to arrive before running out; null when `runOutDate` is. */
    orderBy: z.string().nullable(),
  })
  .openapi("ReorderSuggestion");
export type ReorderSuggestion = z.infer<typeof ReorderSuggestion>;

export const ReorderSuggestions = z
  .object({
    vendorId: Id,
    /** When the sales roll-ups the velocity comes from last caught up. */
    asOf: IsoTime.nullable(),
    windowDays: z.number().int(),
    coverDays: z.number().int(),
    items: z.array(ReorderSuggestion),
  })
  .openapi("ReorderSuggestions");
export type ReorderSuggestions = z.infer<typeof ReorderSuggestions>;
