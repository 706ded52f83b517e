import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Times are ISO-8601 UTC strings to the second; money is INTEGER minor units beside its currency.

export const vendors = sqliteTable(
  "vendors",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    status: text("status", { enum: ["active", "suspended"] })
      .notNull()
      .default("active"),
    dispatchSlaHours: integer("dispatch_sla_hours").notNull().default(18),
    nudgeLeadHours: integer("nudge_lead_hours").notNull().default(6),
    commissionBps: integer("commission_bps").notNull(),
    hourlyCapacity: integer("hourly_capacity").notNull(),
    payoutAccountId: text("payout_account_id"),
    contactPhone: text("contact_phone"),
    contactEmail: text("contact_email"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    check("vendors_status", sql`${t.status} in ('active','suspended')`),
    check("vendors_sla", sql`${t.dispatchSlaHours} between 1 and 720`),
    check("vendors_nudge", sql`${t.nudgeLeadHours} >= 0`),
    check("vendors_commission", sql`${t.commissionBps} between 0 and 10000`),
    check("vendors_capacity", sql`${t.hourlyCapacity} >= 0`),
  ],
);

export const warehouses = sqliteTable(
  "warehouses",
  {
    id: text("id").primaryKey(),
    vendorId: text("vendor_id")
      .notNull()
      .references(() => vendors.id),
    name: text("name").notNull(),
    lat: real("lat").notNull(),
    lng: real("lng").notNull(),
    postalCode: text("postal_code").notNull(),
    country: text("country").notNull(),
    status: text("status", { enum: ["active", "inactive"] })
      .notNull()
      .default("active"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    index("warehouses_vendor").on(t.vendorId),
    check("warehouses_lat", sql`${t.lat} between -90 and 90`),
    check("warehouses_lng", sql`${t.lng} between -180 and 180`),
    check("warehouses_status", sql`${t.status} in ('active','inactive')`),
  ],
);

export const postalCodes = sqliteTable(
  "postal_codes",
  {
    country: text("country").notNull(),
    code: text("code").notNull(),
    place: text("place"),
    lat: real("lat").notNull(),
    lng: real("lng").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.country, t.code] }),
    check("postal_codes_lat", sql`${t.lat} between -90 and 90`),
    check("postal_codes_lng", sql`${t.lng} between -180 and 180`),
  ],
);

export const products = sqliteTable("products", {
  id: text("id").primaryKey(),
  title: text("title").notNull(),
  description: text("description"),
  createdAt: text("created_at").notNull(),
});

export const skus = sqliteTable(
  "skus",
  {
    id: text("id").primaryKey(),
    vendorId: text("vendor_id")
      .notNull()
      .references(() => vendors.id),
    productId: text("product_id")
      .notNull()
      .references(() => products.id),
    code: text("code").notNull(),
    title: text("title").notNull(),
    priceMinor: integer("price_minor").notNull(),
    currency: text("currency").notNull(),
    barcode: text("barcode").notNull(),
    lowStockThreshold: integer("low_stock_threshold").notNull().default(0),
    weightGrams: integer("weight_grams").notNull().default(500),
    // Set by ops for a flash sale: at most this many units per customer at once, under the global cap.
    saleMaxUnitsPerCustomer: integer("sale_max_units_per_customer"),
    status: text("status", { enum: ["active", "inactive"] })
      .notNull()
      .default("active"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("skus_vendor_code").on(t.vendorId, t.code),
    uniqueIndex("skus_vendor_barcode").on(t.vendorId, t.barcode),
    index("skus_product").on(t.productId),
    check("skus_price", sql`${t.priceMinor} >= 0`),
    check("skus_currency", sql`length(${t.currency}) = 3`),
    check("skus_threshold", sql`${t.lowStockThreshold} >= 0`),
    check("skus_status", sql`${t.status} in ('active','inactive')`),
    check("skus_weight", sql`${t.weightGrams} > 0`),
  ],
);

/** Mirror of each SkuStock object, written by the object's coalesced flush; never authoritative. */
export const stockLevels = sqliteTable(
  "stock_levels",
  {
    skuId: text("sku_id")
      .notNull()
      .references(() => skus.id),
    warehouseId: text("warehouse_id")
      .notNull()
      .references(() => warehouses.id),
    onHand: integer("on_hand").notNull(),
    available: integer("available").notNull(),
    held: integer("held").notNull(),
    committed: integer("committed").notNull(),
    version: integer("version").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.skuId, t.warehouseId] }), index("stock_levels_warehouse").on(t.warehouseId)],
);

export const customers = sqliteTable("customers", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  email: text("email"),
  phone: text("phone"),
  createdAt: text("created_at").notNull(),
});

export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull(),
    role: text("role", { enum: ["admin", "ops", "vendor", "customer"] }).notNull(),
    vendorId: text("vendor_id").references(() => vendors.id),
    customerId: text("customer_id").references(() => customers.id),
    createdAt: text("created_at").notNull(),
    revokedAt: text("revoked_at"),
    // A guest's token lapses here unless the guest has ordered (db/tokens.ts); null never lapses.
    expiresAt: text("expires_at"),
  },
  (t) => [
    uniqueIndex("api_tokens_hash").on(t.tokenHash),
    check("api_tokens_role", sql`${t.role} in ('admin','ops','vendor','customer')`),
    check(
      "api_tokens_binding",
      sql`(${t.role} = 'vendor') = (${t.vendorId} is not null) and (${t.role} = 'customer') = (${t.customerId} is not null)`,
    ),
  ],
);

/**
 * Single-use tickets that open a live feed (so no long-lived token travels in a WebSocket URL).
 * Only the ticket's hash is kept; consuming deletes the row, so a ticket opens one socket.
 */
export const feedTickets = sqliteTable(
  "feed_tickets",
  {
    ticketHash: text("ticket_hash").primaryKey(),
    /** The feed object's name: `ops`, `vendor:<id>` or `sku:<id>`. */
    feed: text("feed").notNull(),
    role: text("role", { enum: ["admin", "ops", "vendor", "customer"] }).notNull(),
    principalId: text("principal_id").notNull(),
    /** The API token that minted it: the feed closes the socket when that token is revoked. */
    tokenId: text("token_id").notNull(),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
  },
  (t) => [
    index("feed_tickets_expiry").on(t.expiresAt),
    check("feed_tickets_role", sql`${t.role} in ('admin','ops','vendor','customer')`),
  ],
);

export const orders = sqliteTable(
  "orders",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id),
    status: text("status").notNull(),
    paymentStatus: text("payment_status").notNull(),
    currency: text("currency").notNull(),
    totalMinor: integer("total_minor").notNull(),
    shipTo: text("ship_to", { mode: "json" }).notNull(),
    shipLat: real("ship_lat").notNull(),
    shipLng: real("ship_lng").notNull(),
    holdId: text("hold_id").notNull(),
    holdExpiresAt: text("hold_expires_at").notNull(),
    reviewHeld: integer("review_held", { mode: "boolean" }).notNull().default(false),
    reviewNote: text("review_note"),
    paidAt: text("paid_at"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("orders_hold").on(t.holdId),
    index("orders_customer_created").on(t.customerId, t.createdAt),
    index("orders_created").on(t.createdAt, t.id),
    index("orders_status_created").on(t.status, t.createdAt),
    // The hold-expiry job scans exactly this.
    index("orders_unpaid_expiry").on(t.holdExpiresAt).where(sql`${t.status} = 'pending_payment'`),
    check("orders_total", sql`${t.totalMinor} >= 0`),
    check(
      "orders_status",
      sql`${t.status} in ('pending_payment','paid','partially_dispatched','dispatched','partially_delivered','delivered','cancelled','partially_cancelled')`,
    ),
    check("orders_payment_status", sql`${t.paymentStatus} in ('unpaid','paid','refunded','partially_refunded')`),
  ],
);

export const subOrders = sqliteTable(
  "sub_orders",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    vendorId: text("vendor_id")
      .notNull()
      .references(() => vendors.id),
    status: text("status").notNull(),
    currency: text("currency").notNull(),
    subtotalMinor: integer("subtotal_minor").notNull(),
    shippingMinor: integer("shipping_minor").notNull().default(0),
    totalMinor: integer("total_minor").notNull(),
    commissionBps: integer("commission_bps").notNull(),
    commissionMinor: integer("commission_minor").notNull(),
    slaDispatchBy: text("sla_dispatch_by"),
    promisedDeliveryBy: text("promised_delivery_by"),
    confirmedAt: text("confirmed_at"),
    packedAt: text("packed_at"),
    dispatchedAt: text("dispatched_at"),
    deliveredAt: text("delivered_at"),
    returnedAt: text("returned_at"),
    cancelledAt: text("cancelled_at"),
    /** When the SLA watcher nudged the vendor; set once, so a nudge is never sent twice. */
    nudgedAt: text("nudged_at"),
    /** R2 key of the proof-of-shipment photo. */
    photoKey: text("photo_key"),
    carrier: text("carrier"),
    awb: text("awb"),
    cancellationReason: text("cancellation_reason"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("sub_orders_order_vendor").on(t.orderId, t.vendorId),
    index("sub_orders_vendor_created").on(t.vendorId, t.createdAt),
    index("sub_orders_status_sla").on(t.status, t.slaDispatchBy),
    // Carrier webhooks name a shipment by its AWB.
    index("sub_orders_awb").on(t.carrier, t.awb),
    // So an AWB names one shipment: a carrier's AWB is on at most one sub-order that is not cancelled.
    uniqueIndex("sub_orders_carrier_awb_live")
      .on(t.carrier, t.awb)
      .where(sql`${t.awb} is not null and ${t.status} <> 'cancelled'`),
    // The SLA watcher's scan: open sub-orders by deadline, nothing else.
    index("sub_orders_sla_open")
      .on(t.slaDispatchBy)
      .where(sql`${t.status} in ('paid','confirmed','packed') and ${t.slaDispatchBy} is not null`),
    // Its nudge scan: only those not nudged yet, so nudged ones never crowd out the rest.
    index("sub_orders_sla_unnudged")
      .on(t.slaDispatchBy)
      .where(
        sql`${t.status} in ('paid','confirmed','packed') and ${t.slaDispatchBy} is not null and ${t.nudgedAt} is null`,
      ),
    check(
      "sub_orders_status",
      sql`${t.status} in ('pending_payment','paid','confirmed','packed','dispatched','delivered','cancelled','returned')`,
    ),
    check("sub_orders_amounts", sql`${t.subtotalMinor} >= 0 and ${t.shippingMinor} >= 0`),
    check("sub_orders_total", sql`${t.totalMinor} = ${t.subtotalMinor} + ${t.shippingMinor}`),
    check("sub_orders_commission", sql`${t.commissionBps} between 0 and 10000`),
  ],
);

export const lineItems = sqliteTable(
  "line_items",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    subOrderId: text("sub_order_id")
      .notNull()
      .references(() => subOrders.id),
    lineIndex: integer("line_index").notNull(),
    /** Set when the shopper asked for a product and routing chose the offer. */
    productId: text("product_id").references(() => products.id),
    returnedQty: integer("returned_qty").notNull().default(0),
    skuId: text("sku_id")
      .notNull()
      .references(() => skus.id),
    warehouseId: text("warehouse_id")
      .notNull()
      .references(() => warehouses.id),
    qty: integer("qty").notNull(),
    unitPriceMinor: integer("unit_price_minor").notNull(),
    lineTotalMinor: integer("line_total_minor").notNull(),
    currency: text("currency").notNull(),
  },
  (t) => [
    index("line_items_order").on(t.orderId),
    index("line_items_sub_order").on(t.subOrderId),
    index("line_items_warehouse").on(t.warehouseId, t.orderId),
    check("line_items_qty", sql`${t.qty} > 0`),
    check("line_items_returned", sql`${t.returnedQty} between 0 and ${t.qty}`),
    check("line_items_price", sql`${t.unitPriceMinor} >= 0`),
    check("line_items_total", sql`${t.lineTotalMinor} = ${t.qty} * ${t.unitPriceMinor}`),
  ],
);

export const orderEvents = sqliteTable(
  "order_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    subOrderId: text("sub_order_id").references(() => subOrders.id),
    type: text("type").notNull(),
    at: text("at").notNull(),
    actorRole: text("actor_role").notNull(),
    actorId: text("actor_id"),
    reason: text("reason"),
    data: text("data", { mode: "json" }),
    // Makes a state change recorded at most once, whatever the retries.
    dedupeKey: text("dedupe_key"),
  },
  (t) => [index("order_events_order").on(t.orderId, t.id), uniqueIndex("order_events_dedupe").on(t.dedupeKey)],
);

// Free text a person added when cancelling an order: for ops only, never in a message or an event.
export const cancellationNotes = sqliteTable(
  "cancellation_notes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    at: text("at").notNull(),
    actorRole: text("actor_role").notNull(),
    actorId: text("actor_id"),
    reason: text("reason").notNull(),
    note: text("note").notNull(),
  },
  (t) => [index("cancellation_notes_order").on(t.orderId, t.id)],
);

export const payments = sqliteTable(
  "payments",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    provider: text("provider", { enum: ["simulated", "stripe"] }).notNull(),
    status: text("status", { enum: ["requires_payment", "succeeded", "failed", "canceled"] }).notNull(),
    amountMinor: integer("amount_minor").notNull(),
    refundedMinor: integer("refunded_minor").notNull().default(0),
    currency: text("currency").notNull(),
    clientSecret: text("client_secret"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("payments_order").on(t.orderId),
    check("payments_status", sql`${t.status} in ('requires_payment','succeeded','failed','canceled')`),
    check("payments_refund", sql`${t.refundedMinor} between 0 and ${t.amountMinor}`),
  ],
);

/** Provider events already applied: a redelivered webhook finds its id here and changes nothing. */
export const paymentEvents = sqliteTable("payment_events", {
  id: text("id").primaryKey(),
  paymentId: text("payment_id").notNull(),
  type: text("type").notNull(),
  receivedAt: text("received_at").notNull(),
});

export const refunds = sqliteTable(
  "refunds",
  {
    id: text("id").primaryKey(),
    paymentId: text("payment_id")
      .notNull()
      .references(() => payments.id),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    subOrderId: text("sub_order_id").references(() => subOrders.id),
    amountMinor: integer("amount_minor").notNull(),
    currency: text("currency").notNull(),
    reason: text("reason").notNull(),
    providerRef: text("provider_ref"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("refunds_order").on(t.orderId), check("refunds_amount", sql`${t.amountMinor} > 0`)],
);

export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    responseStatus: integer("response_status").notNull(),
    responseBody: text("response_body").notNull(),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index("idempotency_keys_expiry").on(t.expiresAt)],
);

export const outbox = sqliteTable(
  "outbox",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    type: text("type").notNull(),
    orderId: text("order_id"),
    payload: text("payload", { mode: "json" }).notNull(),
    dedupeKey: text("dedupe_key").notNull(),
    createdAt: text("created_at").notNull(),
    dispatchedAt: text("dispatched_at"),
  },
  (t) => [
    uniqueIndex("outbox_dedupe").on(t.dedupeKey),
    index("outbox_pending").on(t.id).where(sql`${t.dispatchedAt} is null`),
  ],
);

/** Consumers record what they handled so a redelivered message does nothing twice. */
export const processedMessages = sqliteTable(
  "processed_messages",
  {
    consumer: text("consumer").notNull(),
    eventId: text("event_id").notNull(),
    processedAt: text("processed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.eventId] })],
);

/** One per cancelled-and-refunded sub-order (and per return refund): what the shopper is owed back. */
export const creditNotes = sqliteTable(
  "credit_notes",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    subOrderId: text("sub_order_id")
      .notNull()
      .references(() => subOrders.id),
    amountMinor: integer("amount_minor").notNull(),
    currency: text("currency").notNull(),
    reason: text("reason").notNull(),
    refundId: text("refund_id"),
    createdAt: text("created_at").notNull(),
    /** Makes a credit note for the same cause recorded once, whatever the retries. */
    dedupeKey: text("dedupe_key").notNull(),
  },
  (t) => [
    uniqueIndex("credit_notes_dedupe").on(t.dedupeKey),
    index("credit_notes_order").on(t.orderId),
    check("credit_notes_amount", sql`${t.amountMinor} > 0`),
  ],
);

export const carriers = sqliteTable("carriers", {
  code: text("code").primaryKey(),
  name: text("name").notNull(),
  /** A regular expression the whole AWB must match. */
  awbPattern: text("awb_pattern").notNull(),
  awbExample: text("awb_example").notNull(),
  active: integer("active", { mode: "boolean" }).notNull().default(true),
});

export const notifications = sqliteTable(
  "notifications",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id").references(() => orders.id),
    subOrderId: text("sub_order_id").references(() => subOrders.id),
    customerId: text("customer_id").references(() => customers.id),
    vendorId: text("vendor_id").references(() => vendors.id),
    /** The conversation a message belongs to: one thread per parent order. */
    threadKey: text("thread_key").notNull(),
    channel: text("channel", { enum: ["whatsapp", "email", "local"] }).notNull(),
    recipient: text("recipient"),
    template: text("template").notNull(),
    /** Lower sends first: 0 confirmation, 1 cancellation/refund, 2 dispatched, 3 delivery milestones. */
    priority: integer("priority").notNull(),
    payload: text("payload", { mode: "json" }).notNull(),
    status: text("status", { enum: ["queued", "sent", "failed"] })
      .notNull()
      .default("queued"),
    attempts: integer("attempts").notNull().default(0),
    error: text("error"),
    providerRef: text("provider_ref"),
    dedupeKey: text("dedupe_key").notNull(),
    createdAt: text("created_at").notNull(),
    sentAt: text("sent_at"),
    /** The latest hand-over to the provider: what its per-minute limit counts. */
    lastAttemptAt: text("last_attempt_at"),
    /** A sender holds the message until then; if it dies meanwhile, another sends it after. */
    leaseUntil: text("lease_until"),
    /** After a provider's temporary refusal: not before then. */
    nextAttemptAt: text("next_attempt_at"),
  },
  (t) => [
    uniqueIndex("notifications_dedupe").on(t.dedupeKey),
    index("notifications_attempts").on(t.channel, t.lastAttemptAt),
    index("notifications_order").on(t.orderId, t.createdAt),
    index("notifications_vendor").on(t.vendorId, t.createdAt, t.id).where(sql`${t.vendorId} is not null`),
    index("notifications_queue").on(t.priority, t.createdAt).where(sql`${t.status} = 'queued'`),
    check("notifications_status", sql`${t.status} in ('queued','sent','failed')`),
  ],
);

/** Messages the order-events queue gave up on, kept for ops to read and replay. */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: text("id").primaryKey(),
    queue: text("queue").notNull(),
    messageId: text("message_id").notNull(),
    body: text("body", { mode: "json" }).notNull(),
    attempts: integer("attempts").notNull(),
    receivedAt: text("received_at").notNull(),
    replayedAt: text("replayed_at"),
  },
  (t) => [
    uniqueIndex("dead_letters_message").on(t.queue, t.messageId),
    index("dead_letters_received").on(t.receivedAt),
  ],
);

/** Shipping rate cards: per vendor, or the platform's (vendor_id null), banded by distance and weight. */
export const rateCards = sqliteTable(
  "rate_cards",
  {
    id: text("id").primaryKey(),
    vendorId: text("vendor_id").references(() => vendors.id),
    maxKm: integer("max_km").notNull(),
    maxWeightGrams: integer("max_weight_grams").notNull(),
    priceMinor: integer("price_minor").notNull(),
    currency: text("currency").notNull(),
    transitDays: integer("transit_days").notNull(),
  },
  (t) => [
    index("rate_cards_vendor").on(t.vendorId, t.maxKm, t.maxWeightGrams),
    check("rate_cards_bands", sql`${t.maxKm} > 0 and ${t.maxWeightGrams} > 0 and ${t.transitDays} >= 0`),
    check("rate_cards_price", sql`${t.priceMinor} >= 0`),
  ],
);

/** Routing factor weights, versioned: each re-fit writes a new version and what it changed. */
export const routingWeights = sqliteTable("routing_weights", {
  version: integer("version").primaryKey({ autoIncrement: true }),
  weights: text("weights", { mode: "json" }).notNull(),
  changes: text("changes", { mode: "json" }),
  createdAt: text("created_at").notNull(),
});

/** Each vendor's learned speed and reliability, re-fitted from outcomes. */
export const vendorScores = sqliteTable(
  "vendor_scores",
  {
    vendorId: text("vendor_id")
      .primaryKey()
      .references(() => vendors.id),
    avgDispatchHours: real("avg_dispatch_hours").notNull(),
    onTimeRateBps: integer("on_time_rate_bps").notNull(),
    breachRateBps: integer("breach_rate_bps").notNull(),
    cancelRateBps: integer("cancel_rate_bps").notNull(),
    sampleSize: integer("sample_size").notNull(),
    weightsVersion: integer("weights_version"),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    check(
      "vendor_scores_rates",
      sql`${t.onTimeRateBps} between 0 and 10000 and ${t.breachRateBps} between 0 and 10000 and ${t.cancelRateBps} between 0 and 10000`,
    ),
  ],
);

/** Why each order went where it went: per line, the candidates and their factor scores. */
export const routingDecisions = sqliteTable("routing_decisions", {
  orderId: text("order_id")
    .primaryKey()
    .references(() => orders.id),
  weightsVersion: integer("weights_version").notNull(),
  explanation: text("explanation", { mode: "json" }).notNull(),
  createdAt: text("created_at").notNull(),
});

/** Manual overrides: lines moved to another warehouse or offer, and any price difference the platform absorbs. */
export const reassignments = sqliteTable(
  "reassignments",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    fromSubOrderId: text("from_sub_order_id")
      .notNull()
      .references(() => subOrders.id),
    toSubOrderId: text("to_sub_order_id")
      .notNull()
      .references(() => subOrders.id),
    moves: text("moves", { mode: "json" }).notNull(),
    platformCostMinor: integer("platform_cost_minor").notNull(),
    currency: text("currency").notNull(),
    actorRole: text("actor_role").notNull(),
    actorId: text("actor_id"),
    reason: text("reason").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("reassignments_order").on(t.orderId)],
);

/**
 * A cancelled sub-order's refund, written in the batch that cancels it and settled once the provider
 * refunded it: while `settled_at` is null the refund is owed (the provider failed or the Worker died
 * after the cancel landed), the `pending-refunds` job retries it and ops see it.
 */
export const pendingRefunds = sqliteTable(
  "pending_refunds",
  {
    subOrderId: text("sub_order_id")
      .primaryKey()
      .references(() => subOrders.id),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    paymentId: text("payment_id")
      .notNull()
      .references(() => payments.id),
    amountMinor: integer("amount_minor").notNull(),
    currency: text("currency").notNull(),
    reason: text("reason").notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    createdAt: text("created_at").notNull(),
    settledAt: text("settled_at"),
  },
  (t) => [
    index("pending_refunds_open").on(t.createdAt, t.subOrderId).where(sql`${t.settledAt} is null`),
    check("pending_refunds_amount", sql`${t.amountMinor} > 0`),
  ],
);

/**
 * One return of a delivered sub-order per Idempotency-Key. It is inserted only while every line it
 * names still has the units it takes back, in one statement, so of two returns racing for the same
 * units exactly one is written; `claim` tells the attempt that wrote it from a replay of its key.
 */
export const returnClaims = sqliteTable("return_claims", {
  id: text("id").primaryKey(),
  subOrderId: text("sub_order_id")
    .notNull()
    .references(() => subOrders.id),
  lines: text("lines", { mode: "json" }).notNull(),
  claim: text("claim").notNull(),
  createdAt: text("created_at").notNull(),
});

// ---- live feeds: which shoppers' feeds exist ----------------------------------------------------

/**
 * The customers a feed ticket has ever been minted for, written with the first ticket, before any
 * socket can open. Order events go to `customer:<id>` only for these: a shopper who never asked for
 * their feed has no object, and one is not created per order just in case (the client reloads its
 * orders when it first connects, so events before that matter to no one).
 */
export const customerFeeds = sqliteTable("customer_feeds", {
  customerId: text("customer_id")
    .primaryKey()
    .references(() => customers.id),
  firstTicketAt: text("first_ticket_at").notNull(),
});
