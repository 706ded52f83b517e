import { z } from "zod";

/** One message on the order-events queue: an outbox row, as written in the state change's batch. */
export const OrderEventMessage = z.object({
  id: z.number().int(),
  type: z.string(),
  orderId: z.string().nullable(),
  at: z.string(),
  payload: z.record(z.string(), z.unknown()),
});
export type OrderEventMessage = z.infer<typeof OrderEventMessage>;

/**
 * Order events about the marketplace's own work, which tell a shopper nothing: the SLA watcher's
 * nudge to the vendor and the vendor's proof-of-shipment photo (for its vendor and ops only). Left
 * off the shopper's timeline and feed; vendors and ops see them.
 */
export const NOT_FOR_SHOPPERS: ReadonlySet<string> = new Set(["sub_order.sla_nudge", "sub_order.photo_added"]);

/**
 * Order events about how the shopper's refund reaches them (the provider failed it, paid it again,
 * ops paid it another way), on the timeline and as messages: the vendor's side of the refund is
 * unchanged, and the shopper's bank is none of its business. Left off vendors' feeds and timelines;
 * the shopper and ops see them.
 */
export const SHOPPER_REFUND_EVENTS: ReadonlySet<string> = new Set([
  "payment.late_refund_owed",
  "payment.refund_failed",
  "payment.refund_repaid",
  "payment.refund_settled_outside",
  "order.refund_failed",
  "order.refund_sent",
  "order.refund_settled",
]);

/** The jobs whose due work may run past one invocation's page and continue on the queue. */
export const ContinuedJob = z.enum([
  "expire-holds",
  "sla-watcher",
  "inventory-bridge",
  "payouts",
  "analytics-rollups",
  "notification-sender",
]);
export type ContinuedJob = z.infer<typeof ContinuedJob>;

/**
 * A job's next page, on the same queue as the order events: the run at `at` handled its due work up
 * to `after` (the last key of its page, in the scan's order) and the rest continues from there in
 * a consumer invocation of its own, so however much is due no invocation does more than a page.
 */
export const JobContinueMessage = z.object({
  type: z.literal("job.continue"),
  job: ContinuedJob,
  at: z.string(),
  after: z.object({ key: z.string(), id: z.string() }),
});
export type JobContinueMessage = z.infer<typeof JobContinueMessage>;

/**
 * One due job's run at its cron time `at`, on the job-runs queue, whose consumer takes one message
 * a delivery: each job of a schedule runs in an invocation of its own, with that invocation's
 * limits to itself. `job` is a registry name; the consumer logs and drops one it does not know.
 */
export const JobRunMessage = z.object({
  type: z.literal("job.run"),
  job: z.string(),
  at: z.iso.datetime({ offset: false }),
});
export type JobRunMessage = z.infer<typeof JobRunMessage>;

/**
 * The next page of a vendor's product import, on the same queue: each consumer invocation applies
 * one page of rows and sends the one after it, so however large the file no invocation does more.
 */
export const ProductImportMessage = z.object({
  type: z.literal("product-import.page"),
  importId: z.string(),
  page: z.number().int().nonnegative(),
});
export type ProductImportMessage = z.infer<typeof ProductImportMessage>;

/**
 * The next page of a warehouse's SKUs to re-announce after it opened or closed (after the SKU id
 * `after`), on the same queue: a page per consumer invocation, each sending the one after it.
 */
export const WarehouseSellersMessage = z.object({
  type: z.literal("warehouse-sellers.page"),
  warehouseId: z.string(),
  after: z.string(),
});
export type WarehouseSellersMessage = z.infer<typeof WarehouseSellersMessage>;

/** One moved piece of a reassignment: units of a source line that landed on a SKU in a warehouse. */
export const ReassignedMove = z.object({
  lineId: z.string(),
  skuId: z.string(),
  fromWarehouseId: z.string(),
  toSkuId: z.string(),
  toWarehouseId: z.string(),
  qty: z.number().int().positive(),
});
export type ReassignedMove = z.infer<typeof ReassignedMove>;

/**
 * The outbox payload of `sub_order.reassigned`: units of `subOrderId` (its vendor's) moved to
 * `toSubOrderId` (the same one, or another vendor's). Ops read it whole; each vendor only its side.
 */
export const SubOrderReassignedPayload = z.object({
  orderId: z.string(),
  subOrderId: z.string(),
  vendorId: z.string(),
  toSubOrderId: z.string(),
  toVendorId: z.string(),
  moves: z.array(ReassignedMove),
});
export type SubOrderReassignedPayload = z.infer<typeof SubOrderReassignedPayload>;
