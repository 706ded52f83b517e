import { z } from "@hono/zod-openapi";
import { orderStatuses, paymentStatuses, subOrderStatuses } from "../contracts/order-status";
import { Currency, Id, IsoTime, ListQuery, MAX_CART_LINES, MAX_LINE_QTY, Money, Phone, page } from "./common";
import { RoutingView } from "./routing";

export const MAX_CHECKOUT_LINES = MAX_CART_LINES;

export const ShipTo = z
  .object({
    name: z.string().trim().min(1).max(120),
    phone: Phone.optional(),
    address: z
      .object({
        line1: z.string().trim().min(1).max(200),
        city: z.string().trim().min(1).max(100),
        postalCode: z.string().trim().min(2).max(12),
        country: z.string().regex(/^[A-Z]{2}$/, "ISO 3166-1 alpha-2, upper case"),
      })
      .strict(),
    lat: z.number().min(-90).max(90).optional(),
    lng: z.number().min(-180).max(180).optional(),
  })
  .strict()
  .refine((s) => (s.lat === undefined) === (s.lng === undefined), {
    message: "give both lat and lng, or neither",
    path: ["lat"],
  })
  .openapi("ShipTo");
export type ShipTo = z.infer<typeof ShipTo>;

/** A line names exactly one of `skuId` (that offer) or `productId` (routing picks the vendor's offer). */
export const CheckoutLine = z
  .object({
    skuId: Id.optional(),
    productId: Id.optional().openapi({
      description:
        "Any vendor's offer of this product, one item only (422 when its offers are several variants: order one by skuId); charged at the offer routing picks",
    }),
    qty: z.number().int().min(1).max(MAX_LINE_QTY),
  })
  .strict();

export const CheckoutBody = z
  .object({
    lines: z.array(CheckoutLine).min(1).max(MAX_CHECKOUT_LINES),
    shipTo: ShipTo,
    currency: Currency.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    const seen = new Map<string, number>();
    body.lines.forEach((line, i) => {
      if ((line.skuId === undefined) === (line.productId === undefined)) {
        ctx.addIssue({ code: "custom", path: ["lines", i], message: "give exactly one of skuId or productId" });
        return;
      }
      const field = line.skuId !== undefined ? "skuId" : "productId";
      const key = `${field}:${line.skuId ?? line.productId}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["lines", i, field],
          message: `same ${field === "skuId" ? "SKU" : "product"} as line ${first}; merge the quantities`,
        });
      } else seen.set(key, i);
    });
  })
  .openapi("CheckoutBody");
export type CheckoutBody = z.infer<typeof CheckoutBody>;

export const Actor = z.object({
  role: z.enum(["admin", "ops", "vendor", "customer", "system"]),
  id: z.string().nullable(),
});

/**
 * Why a shopper or ops cancels an order: a code from this list, never free text, since the reason
 * reaches the shopper's contact and vendors' screens. What a person wants to add goes in `note`.
 */
export const cancelReasons = [
  "changed_mind",
  "ordered_by_mistake",
  "found_better_price",
  "delivery_too_slow",
  "payment_problem",
  "duplicate_order",
  "suspected_fraud",
  "other",
] as const;
export type CancelReason = (typeof cancelReasons)[number];

export const CancelOrder = z
  .object({
    reason: z.enum(cancelReasons),
    note: z.string().trim().min(1).max(500).optional().openapi({
      description: "Free text for ops: kept with the order, shown only to ops and admins, never sent to anyone",
    }),
  })
  .strict()
  .openapi("CancelOrder");

export const CancellationNote = z.object({
  at: IsoTime,
  actor: Actor,
  reason: z.enum(cancelReasons),
  note: z.string(),
});

export const TimelineEvent = z.object({
  at: IsoTime,
  type: z.string(),
  subOrderId: z.string().optional(),
  actor: Actor,
  reason: z.string().nullable(),
});

export const OrderLine = z.object({
  id: z.string(),
  skuId: z.string(),
  warehouseId: z.string(),
  productTitle: z.string().optional().openapi({ description: "The product, by name (absent in checkout's reply)" }),
  skuTitle: z.string().optional().openapi({ description: "The seller's offer, by name: its variant" }),
  warehouseName: z.string().optional(),
  qty: z.number().int(),
  unitPrice: Money,
  lineTotal: Money,
});

/** A cancelled sub-order's refund the provider has not made yet; the `pending-refunds` job retries it. */
export const PendingRefund = z
  .object({
    id: z.string().openapi({ description: "Its key at the payment provider; the ops actions take it" }),
    kind: z.enum(["cancel", "return", "retry"]).openapi({
      description: "A cancel's or a return's refund, or a retry of a refund the provider made and then failed",
    }),
    subOrderId: z.string(),
    orderId: z.string(),
    amount: Money,
    reason: z.string(),
    since: IsoTime,
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    /** Not retried before this (the job backs off after each failure); null until one fails. */
    nextAttemptAt: IsoTime.nullable(),
    awaitingOps: z.boolean().openapi({
      description: "Not retried until ops retry it or settle it: the provider could not refund the card",
    }),
  })
  .openapi("PendingRefund");
export type PendingRefund = z.infer<typeof PendingRefund>;

/** Where a credit note's PDF is read, with the caller's own token. */
export const creditNotePdfPath = (creditNoteId: string) => `/v1/credit-notes/${encodeURIComponent(creditNoteId)}/pdf`;

/** A credit note issued for a sub-order (a cancellation or a return), as its readers find it. */
export const CreditNoteLink = z
  .object({
    id: z.string(),
    subOrderId: z.string(),
    number: z
      .string()
      .nullable()
      .openapi({ description: 'Gap-free per vendor and financial year, e.g. "CN/2026-27/000042"' }),
    amountMinor: z.number().int(),
    currency: Currency,
    reason: z.string(),
    issuedAt: IsoTime,
    pdfUrl: z.string().openapi({ description: "GET /v1/credit-notes/{creditNoteId}/pdf, with the same token" }),
  })
  .openapi("CreditNoteLink");
export type CreditNoteLink = z.infer<typeof CreditNoteLink>;

export const SubOrderView = z.object({
  id: z.string(),
  vendorId: z.string(),
  vendorName: z.string().optional().openapi({ description: "The seller, by name (absent in checkout's reply)" }),
  status: z.enum(subOrderStatuses),
  slaDispatchBy: IsoTime.nullable(),
  carrier: z
    .string()
    .nullable()
    .optional()
    .openapi({ description: "Set once dispatched (absent in checkout's reply)" }),
  awb: z.string().nullable().optional().openapi({ description: "The carrier's waybill number, once dispatched" }),
  cancellationReason: z.string().nullable(),
  shipping: Money,
  total: Money,
  lines: z.array(OrderLine),
  refundPending: PendingRefund.nullable()
    .optional()
    .openapi({ description: "Ops and admins only: the refund still owed for this cancelled sub-order" }),
});

export const OrderView = z
  .object({
    id: z.string(),
    status: z.enum(orderStatuses),
    paymentStatus: z.enum(paymentStatuses),
    customerId: z.string(),
    shipTo: ShipTo.nullable().openapi({
      description:
        "Null for a vendor while none of its sub-orders is paid and unshipped or on its way: an unpaid order, or one " +
        "cancelled or moved away before it left, gives the vendor no one's address",
    }),
    total: Money.optional().openapi({ description: "Absent for vendors: they see only their own sub-orders" }),
    createdAt: IsoTime,
    review: z.object({ held: z.boolean(), note: z.string().nullable() }).nullable(),
    subOrders: z.array(SubOrderView),
    timeline: z.array(TimelineEvent),
    routing: RoutingView.optional().openapi({ description: "Why each line went where it went: ops and admins only" }),
    creditNotes: z.array(CreditNoteLink).optional().openapi({
      description:
        "The credit notes of the sub-orders the caller may see (a vendor only its own), oldest first, each with its PDF; in the order's GET and its cancellation's reply",
    }),
    cancellationNotes: z
      .array(CancellationNote)
      .optional()
      .openapi({ description: "What whoever cancelled wrote in `note`: ops and admins only" }),
  })
  .openapi("Order");
export type OrderView = z.infer<typeof OrderView>;

export const PaymentView = z
  .object({
    provider: z.enum(["simulated", "stripe"]),
    id: z.string(),
    status: z.enum(["requires_payment", "succeeded", "canceled"]),
    clientSecret: z.string().optional(),
    publishableKey: z.string().optional().openapi({
      description: "Stripe's publishable key, with which the storefront loads Stripe.js and confirms the intent",
    }),
    holdExpiresAt: IsoTime,
  })
  .openapi("Payment");
export type PaymentView = z.infer<typeof PaymentView>;

export const CheckoutResult = z.object({ order: OrderView, payment: PaymentView }).openapi("CheckoutResult");
export type CheckoutResult = z.infer<typeof CheckoutResult>;

export const Shortage = z.object({
  lineIndex: z.number().int(),
  skuId: z.string().optional().openapi({ description: "The SKU line's, or the offer a product line got" }),
  productId: z.string().optional().openapi({ description: "Set for product lines" }),
  requested: z.number().int(),
  available: z.number().int(),
});

export const SimulatePayment = z
  .object({ outcome: z.enum(["succeeded", "failed", "canceled"]) })
  .strict()
  .openapi("SimulatePayment");

/** The last second a stored time can name: a second later is year 10000, which sorts first as text. */
const LAST_SECOND_MS = Date.parse("9999-12-31T23:59:59Z");

/**
 * A time filter's bound as the stored times are kept, in whole seconds (`…:05Z` sorts after
 * `…:05.5Z`): a fraction rounds up, so `from` (inclusive) and `to` (exclusive) keep their meaning.
 */
const WholeSecondBound = IsoTime.transform((t) =>
  new Date(Math.min(Math.ceil(Date.parse(t) / 1000) * 1000, LAST_SECOND_MS)).toISOString().replace(".000Z", "Z"),
);

/** The order list's filters, before the check of their times (zod refuses to pick from a refined object). */
export const OrderListFields = ListQuery.extend({
  status: z.enum(orderStatuses).optional(),
  vendorId: Id.optional(),
  warehouseId: Id.optional(),
  from: WholeSecondBound.optional(),
  to: WholeSecondBound.optional(),
  /** `true`: only orders held for review, which nothing else brings to ops (no deadline runs out on them). */
  held: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional()
    .openapi({ description: "true: only orders held for review; false: none of them" }),
  sort: z.enum(["createdAt", "-createdAt"]).default("-createdAt"),
});

/** A time filter that runs backwards would match nothing: refused, as an analytics range is. */
export function timesInOrder<T extends z.ZodType<{ from?: string | undefined; to?: string | undefined }>>(query: T) {
  return query.refine((q) => !q.from || !q.to || q.from <= q.to, {
    message: "from must not be after to",
    path: ["from"],
  });
}

export const OrderListQuery = timesInOrder(OrderListFields);

export const OrderCountsQuery = timesInOrder(
  OrderListFields.pick({ vendorId: true, warehouseId: true, from: true, to: true, held: true }),
);

export const OrderCounts = z
  .object({
    counts: z.record(z.enum(orderStatuses), z.number().int()),
    total: z.number().int(),
    countedAt: IsoTime.openapi({ description: "When these were counted: they may be a few seconds old" }),
  })
  .openapi("OrderCounts");

export const OrderSummary = z
  .object({
    id: z.string(),
    status: z.enum(orderStatuses),
    paymentStatus: z.enum(paymentStatuses),
    customerId: z.string(),
    total: Money.optional(),
    /** Held for review (admins, ops and its shopper; a vendor never lists a held order). */
    held: z.boolean().optional(),
    createdAt: IsoTime,
    subOrders: z.array(
      z.object({
        id: z.string(),
        vendorId: z.string(),
        vendorName: z.string().optional(),
        status: z.enum(subOrderStatuses),
        total: Money,
      }),
    ),
  })
  .openapi("OrderSummary");

export const OrderPage = page(OrderSummary);
