import { z } from "@hono/zod-openapi";
import { subOrderStatuses, systemCancelReasons, undeliveredOutcomes } from "../contracts/order-status";
import { Id, ListQuery, Money, page } from "./common";
import { CreditNoteLink, OrderLine, ShipTo, TimelineEvent } from "./orders";

export const PackBody = z
  .object({ scanned: z.array(z.string().trim().min(1).max(64)).min(1).max(5000) })
  .strict()
  .openapi("PackBody");

export const DispatchBody = z
  .object({ carrier: z.string().min(1).max(32), awb: z.string().trim().min(1).max(40) })
  .strict()
  .openapi("DispatchBody");

export const AwbCorrectionBody = z
  .object({
    carrier: z.string().min(1).max(32),
    awb: z.string().trim().min(1).max(40),
    reason: z.string().trim().min(1).max(500).optional().openapi({ description: "Why, for the timeline" }),
  })
  .strict()
  .openapi("AwbCorrectionBody");

export const MilestoneBody = z
  .object({
    type: z.enum(["out_for_delivery", "delivery_attempted"]),
    note: z.string().trim().min(1).max(500).optional(),
  })
  .strict()
  .openapi("MilestoneBody");

export const ReturnBody = z
  .object({
    lines: z
      .array(z.object({ lineId: Id, qty: z.number().int().min(1).max(99), restockable: z.boolean() }).strict())
      .min(1)
      .max(50),
    reason: z.string().trim().min(1).max(500),
  })
  .strict()
  .openapi("ReturnBody");

export const UndeliveredBody = z
  .object({
    outcome: z.enum(undeliveredOutcomes).openapi({
      description:
        "returned_to_origin: the carrier brought it back to the seller; lost_in_transit: the carrier lost it",
    }),
    restock: z.boolean().optional().openapi({
      description:
        "Put its units back on the shelf of their warehouse. Default: true when returned to origin; a lost parcel has nothing to put back (true is 422)",
    }),
    note: z.string().trim().min(1).max(500).optional().openapi({ description: "For the timeline" }),
  })
  .strict()
  .refine((b) => !(b.outcome === "lost_in_transit" && b.restock === true), {
    path: ["restock"],
    message: "a lost parcel has no units to put back",
  })
  .openapi("UndeliveredBody");

/** Why a person cancels a sub-order: free text, but never a reason only the system writes. */
export const SubOrderCancelReason = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .refine((r) => !systemCancelReasons.includes(r), { message: "that reason is written only by the system" });

export const CancelSubOrderBody = z.object({ reason: SubOrderCancelReason }).strict().openapi("CancelSubOrder");

export const SubOrderDetail = z
  .object({
    id: z.string(),
    orderId: z.string(),
    vendorId: z.string(),
    status: z.enum(subOrderStatuses),
    slaDispatchBy: z.string().nullable(),
    carrier: z.string().nullable(),
    awb: z.string().nullable(),
    cancellationReason: z.string().nullable(),
    shipTo: ShipTo.nullable().openapi({
      description: "Null for its vendor until it is paid, and once it is cancelled",
    }),
    total: Money,
    lines: z.array(OrderLine.extend({ barcode: z.string().nullable() })),
    timeline: z.array(TimelineEvent),
    creditNotes: z.array(CreditNoteLink).openapi({ description: "Issued for this sub-order, oldest first" }),
  })
  .openapi("SubOrder");

export const SubOrderSummary = z
  .object({
    id: z.string(),
    orderId: z.string(),
    vendorId: z.string(),
    status: z.enum(subOrderStatuses),
    slaDispatchBy: z.string().nullable(),
    total: Money,
    createdAt: z.string(),
  })
  .openapi("SubOrderSummary");

export const SubOrderListQuery = ListQuery.extend({
  status: z.enum(subOrderStatuses).optional(),
  vendorId: Id.optional(),
  awb: z.string().trim().min(1).max(40).optional().openapi({
    description:
      "Only sub-orders labelled with this AWB, exactly as dispatched: which parcel took a label typed on the wrong one",
  }),
  carrier: z.string().min(1).max(32).optional().openapi({ description: "With `awb`: only that carrier's" }),
  sort: z.enum(["-createdAt", "slaDispatchBy"]).default("-createdAt").openapi({
    description:
      "-createdAt: newest first. slaDispatchBy: the work queue, earliest dispatch deadline first (ties by id), sub-orders with no deadline after all that have one. A cursor pages only the order it came from.",
  }),
});
export const SubOrderPage = page(SubOrderSummary);

export const Carrier = z
  .object({
    code: z.string(),
    name: z.string(),
    awbPattern: z.string().openapi({ description: "A regular expression the whole AWB must match" }),
    awbExample: z.string(),
    active: z.boolean(),
  })
  .openapi("Carrier");

export const CarrierCode = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{1,31}$/, "2 to 32 lower-case letters, digits, - or _")
  .openapi({ example: "delhivery" });

export const CarrierUpdate = z
  .object({
    name: z.string().trim().min(1).max(80).optional(),
    awbPattern: z.string().min(1).max(200).optional(),
    awbExample: z.string().trim().min(1).max(40).optional(),
    active: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "name at least one field" })
  .openapi("CarrierUpdate");
