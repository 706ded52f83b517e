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
    // Superseded by nudge_lead_minutes and kept equal to its whole hours (src/db/vendors.ts): a
    // column held by a CHECK can only be dropped by rebuilding the table every row references.
    nudgeLeadHours: integer("nudge_lead_hours").notNull().default(6),
    // How long before a sub-order's dispatch deadline the SLA watcher nudges the vendor. Minutes,
    // because a quick-commerce SLA of an hour has no whole hour to spare. No CHECK, for the same
    // reason as onboarding's: the contracts keep it at 0 or more and below the SLA.
    nudgeLeadMinutes: integer("nudge_lead_minutes").notNull().default(360),
    commissionBps: integer("commission_bps").notNull(),
    hourlyCapacity: integer("hourly_capacity").notNull(),
    payoutAccountId: text("payout_account_id"),
    // The payout provider's last word on the account (account.updated), kept by the Connect webhook.
    payoutsEnabled: integer("payouts_enabled", { mode: "boolean" }).notNull().default(false),
    payoutDetailsSubmitted: integer("payout_details_submitted", { mode: "boolean" }).notNull().default(false),
    payoutDisabledReason: text("payout_disabled_reason"),
    payoutRequirementsDue: text("payout_requirements_due", { mode: "json" }).$type<string[]>(),
    payoutAccountUpdatedAt: text("payout_account_updated_at"),
    contactPhone: text("contact_phone"),
    contactEmail: text("contact_email"),
    createdAt: text("created_at").notNull(),
    // Where the vendor is in onboarding; only an approved vendor sells. No CHECK here: SQLite adds
    // a table CHECK only by rebuilding the table, which every row of the marketplace references;
    // the contracts' OnboardingState is the rule, and only src/onboarding writes the column.
    onboarding: text("onboarding", { enum: ["draft", "submitted", "approved", "rejected"] })
      .notNull()
      .default("approved"),
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
    /**
     * Days from the vendor's reorder to the stock arriving: reorder suggestions plan with it. Bounded
     * by the API (contracts/reorder.ts), not a CHECK: adding one would make SQLite rebuild the table.
     */
    leadTimeDays: integer("lead_time_days").notNull().default(7),
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
    // A product is found by any seller's barcode (GTIN) when a vendor imports its own offer of it.
    index("skus_barcode").on(t.barcode),
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
    index("orders_review_held").on(t.createdAt, t.id).where(sql`${t.reviewHeld} = 1`),
    index("orders_status_created").on(t.status, t.createdAt),
    // The hold-expiry job scans exactly this.
    index("orders_unpaid_expiry").on(t.holdExpiresAt).where(sql`${t.status} = 'pending_payment'`),
    // Checkout's count of a customer's unpaid orders reads only that customer's: without it the
    // planner takes orders_status_created and reads every unpaid order in the marketplace.
    index("orders_customer_unpaid").on(t.customerId, t.holdExpiresAt).where(sql`${t.status} = 'pending_payment'`),
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
    /**
     * When the SLA clock of `slaDispatchBy` started (paid, approved after review, or revived by a
     * reassignment): the vendor's dispatch time is measured from it, whatever its SLA is now.
     */
    slaStartedAt: text("sla_started_at"),
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
    // Status and order id ride along for a vendor's queue filtered by status (listSubOrders) and
    // its order counts (countOrders), which join its sub-orders to their orders. The price: each
    // status change also rewrites the sub-order's entry here (one more row written in D1's count).
    // A vendor's load this hour is counted in vendor_hourly_loads, not here.
    index("sub_orders_vendor_created").on(t.vendorId, t.createdAt, t.status, t.orderId),
    index("sub_orders_status_sla").on(t.status, t.slaDispatchBy),
    // A vendor's work queue of one status by dispatch deadline, paged over (deadline, id)
    // (listSubOrders, sort=slaDispatchBy): read from that vendor's entries alone, where
    // sub_orders_status_sla would walk every vendor's sub-orders of the status.
    index("sub_orders_vendor_status_sla").on(t.vendorId, t.status, t.slaDispatchBy, t.id),
    // Carrier webhooks name a shipment by its AWB.
    index("sub_orders_awb").on(t.carrier, t.awb),
    // The payout run's scan: delivered sub-orders by delivery time, oldest first.
    index("sub_orders_delivered").on(t.deliveredAt, t.id).where(sql`${t.deliveredAt} is not null`),
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

/**
 * Per vendor and UTC clock hour, its sub-orders created in that hour that are not cancelled: what
 * its hourly capacity is counted against, read by every checkout. Kept by triggers on `sub_orders`
 * (migration 0020), so every insert, cancellation and reassignment moves it in the same statement
 * whatever code path wrote it; a read costs one row per vendor however busy the hour was. A
 * migration that rebuilds `sub_orders` drops its triggers and must create them again
 * (test/db/vendor-hourly-loads.repository.test.ts fails until it does).
 */
export const vendorHourlyLoads = sqliteTable(
  "vendor_hourly_loads",
  {
    vendorId: text("vendor_id").notNull(),
    /** The hour as the first 13 characters of an ISO timestamp: `2026-11-27T10`. */
    hour: text("hour").notNull(),
    subOrders: integer("sub_orders").notNull(),
  },
  (t) => [primaryKey({ columns: [t.vendorId, t.hour] })],
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
    /**
     * Per unit, what the line's vendor is owed above (negative: below) the shopper's unit price: set
     * when a reassignment moved the units to another offer (that offer's price less the price the
     * shopper paid), 0 otherwise. A return of `n` units gives back `n ×` this of the sub-order's
     * reassignment adjustment.
     */
    unitAdjustmentMinor: integer("unit_adjustment_minor").notNull().default(0),
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
    // The charge behind a succeeded payment (Stripe: the PaymentIntent's latest_charge): the
    // source_transaction of the vendor transfers it pays for.
    chargeId: text("charge_id"),
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
    /** The provider's refund currently paying it back: a retry after a failure replaces it. */
    providerRef: text("provider_ref"),
    createdAt: text("created_at").notNull(),
    /**
     * Set when the provider reported the refund in `provider_ref` failed after making it (a closed
     * card): the money went back to the platform and the refund is owed again (a `retry` in
     * `pending_refunds`); cleared once a retry pays it. Settled by ops another way, it stays set.
     */
    failedAt: text("failed_at"),
    /** The provider's reason for that failure, e.g. `expired_or_canceled_card`. */
    failureReason: text("failure_reason"),
  },
  (t) => [
    index("refunds_order").on(t.orderId),
    index("refunds_provider_ref").on(t.providerRef),
    check("refunds_amount", sql`${t.amountMinor} > 0`),
  ],
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
    /** When a sender took the row to send it: from then on its payload is what goes out (see db/outbox). */
    claimedAt: text("claimed_at"),
  },
  (t) => [
    uniqueIndex("outbox_dedupe").on(t.dedupeKey),
    index("outbox_pending").on(t.id).where(sql`${t.dispatchedAt} is null`),
  ],
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
    /** The sub-order's vendor, whose numbering the note takes (db/ledger.ts numbers it in its own batch). */
    vendorId: text("vendor_id").references(() => vendors.id),
    /** The financial year it was issued in, by the year it starts (see domain/financial-year.ts). */
    financialYear: integer("financial_year"),
    /** Gap-free per vendor and financial year, from `credit_note_counters`. */
    number: integer("number"),
  },
  (t) => [
    uniqueIndex("credit_notes_dedupe").on(t.dedupeKey),
    index("credit_notes_order").on(t.orderId),
    uniqueIndex("credit_notes_number").on(t.vendorId, t.financialYear, t.number),
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
    // A shopper's list and ops' whole list, newest first, read a page from an index, not every row sorted.
    index("notifications_customer").on(t.customerId, t.createdAt, t.id).where(sql`${t.customerId} is not null`),
    index("notifications_created").on(t.createdAt, t.id),
    index("notifications_queue").on(t.priority, t.createdAt).where(sql`${t.status} = 'queued'`),
    // WhatsApp's status webhook finds the message by the wamid it was sent under.
    index("notifications_provider_ref").on(t.providerRef).where(sql`${t.providerRef} is not null`),
    // ... or, not recorded yet, by the thread of the message a sender holds.
    index("notifications_thread_queued").on(t.threadKey).where(sql`${t.status} = 'queued'`),
    // Ops' alerts, newest first (queueOpsAlert writes every one to recipient `ops`): a page without
    // walking every shopper's message. Keyed on recipient alone: a `channel` term would let the
    // planner take notifications_attempts (channel) and sort.
    index("notifications_ops_alerts").on(t.createdAt, t.id).where(sql`${t.recipient} = 'ops'`),
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
    /**
     * The stock objects' side of the move (reassignment/holds.ts `StockMove`), written with the claim
     * and cleared once the order's hold has moved: while set, the `reassignment-stock` job repeats it.
     */
    stockMove: text("stock_move", { mode: "json" }),
  },
  (t) => [
    index("reassignments_order").on(t.orderId),
    index("reassignments_stock_pending").on(t.createdAt).where(sql`${t.stockMove} is not null`),
  ],
);

/**
 * A refund owed to the shopper, written in the batch that makes it owed (a sub-order's cancel, a
 * return's claim) and settled once the provider refunded it: while `settled_at` is null the refund
 * is owed (the provider failed or the Worker died after that batch landed), the `pending-refunds`
 * job retries it and ops see it. Its id is the refund's idempotency key at the provider
 * (`refund:sub:{subOrderId}` for a cancel, `return:{subOrderId}:{Idempotency-Key}` for a return;
 * `{id}#{refusals}` once the provider refused it outright), so a sub-order owes at most one cancel
 * refund and one refund per return.
 */
export const pendingRefunds = sqliteTable(
  "pending_refunds",
  {
    id: text("id").primaryKey(),
    subOrderId: text("sub_order_id")
      .notNull()
      .references(() => subOrders.id),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    paymentId: text("payment_id")
      .notNull()
      .references(() => payments.id),
    /**
     * A cancel gives back goods then shipping; a return gives back goods only; a retry pays again a
     * recorded refund the provider failed (`replaces_refund_id`), already in the books.
     */
    kind: text("kind", { enum: ["cancel", "return", "retry"] })
      .notNull()
      .default("cancel"),
    amountMinor: integer("amount_minor").notNull(),
    /** A return's share of the sub-order's reassignment adjustment, given back with its goods. */
    adjustmentMinor: integer("adjustment_minor").notNull().default(0),
    currency: text("currency").notNull(),
    reason: text("reason").notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    createdAt: text("created_at").notNull(),
    settledAt: text("settled_at"),
    /** Not retried before this after a failure (backing off); null until one fails. */
    nextAttemptAt: text("next_attempt_at"),
    /** A retry's refund: the `refunds` row whose provider refund failed. */
    replacesRefundId: text("replaces_refund_id"),
    /**
     * Not retried by the job until ops say so: the provider failed a refund to a card it cannot
     * reach (closed, lost, disputed), where paying the same card again fails again.
     */
    awaitingOps: integer("awaiting_ops", { mode: "boolean" }).notNull().default(false),
    /** How ops settled it outside the provider (bank transfer, store credit), when they did. */
    settledNote: text("settled_note"),
    /**
     * Attempts the provider refused outright (a 4xx that made nothing, e.g. a charge under dispute).
     * Stripe answers a key's first result again for 24 hours, refusals included, so after each the
     * refund is asked under a new key (`providerRefundKey`); any other failure keeps the key.
     */
    refusals: integer("refusals").notNull().default(0),
  },
  (t) => [
    index("pending_refunds_open").on(t.createdAt, t.id).where(sql`${t.settledAt} is null`),
    index("pending_refunds_sub_order").on(t.subOrderId),
    index("pending_refunds_order_open").on(t.orderId).where(sql`${t.settledAt} is null`),
    index("pending_refunds_replaces").on(t.replacesRefundId).where(sql`${t.replacesRefundId} is not null`),
    check("pending_refunds_amount", sql`${t.amountMinor} > 0`),
  ],
);

/**
 * One return of a delivered sub-order per Idempotency-Key. It is inserted only while every line it
 * names still has the units it takes back, in one statement, so of two returns racing for the same
 * units exactly one is written; `claim` tells the attempt that wrote it from a replay of its key.
 */
export const returnClaims = sqliteTable(
  "return_claims",
  {
    id: text("id").primaryKey(),
    subOrderId: text("sub_order_id")
      .notNull()
      .references(() => subOrders.id),
    lines: text("lines", { mode: "json" }).notNull(),
    claim: text("claim").notNull(),
    createdAt: text("created_at").notNull(),
    /**
     * When the return was recorded (its timeline event and outbox row written); null while a claim
     * waits for that, which the `returns-follow-up` job finds by its own index, not by reading claims.
     */
    recordedAt: text("recorded_at"),
  },
  (t) => [index("return_claims_unrecorded").on(t.createdAt).where(sql`${t.recordedAt} is null`)],
);

// ---- Money after the payment: the double-entry ledger and credit-note numbering ----

/**
 * One business event's postings. The id is its natural key `kind:source_id` (domain/ledger.ts), so
 * a second posting of the same event is refused by the key itself; `attempt` tells the batch that
 * wrote the journal from a replay, and only that batch writes its entries.
 */
export const ledgerJournals = sqliteTable(
  "ledger_journals",
  {
    id: text("id").primaryKey(),
    kind: text("kind").notNull(),
    sourceId: text("source_id").notNull(),
    currency: text("currency").notNull(),
    orderId: text("order_id"),
    paymentId: text("payment_id"),
    refundId: text("refund_id"),
    transferId: text("transfer_id"),
    reassignmentId: text("reassignment_id"),
    attempt: text("attempt").notNull(),
    at: text("at").notNull(),
  },
  (t) => [
    uniqueIndex("ledger_journals_source").on(t.kind, t.sourceId),
    index("ledger_journals_at").on(t.at, t.id),
    index("ledger_journals_order").on(t.orderId),
    check(
      "ledger_journals_kind",
      sql`${t.kind} in ('payment_captured','refund','reassignment','transfer_pending','transfer_confirmed','transfer_failed','transfer_reversed','carry_forward','provider_fee')`,
    ),
  ],
);

/**
 * The entries: signed minor units, debit positive, each journal's summing to zero. Balances are sums
 * of these rows, never stored apart. Each names what it records (order, sub-order, payment, refund or
 * transfer), copied from its journal so the earnings views read one table.
 */
export const ledgerEntries = sqliteTable(
  "ledger_entries",
  {
    journalId: text("journal_id")
      .notNull()
      .references(() => ledgerJournals.id),
    line: integer("line").notNull(),
    account: text("account").notNull(),
    vendorId: text("vendor_id"),
    subOrderId: text("sub_order_id"),
    component: text("component").notNull(),
    amountMinor: integer("amount_minor").notNull(),
    currency: text("currency").notNull(),
    orderId: text("order_id"),
    paymentId: text("payment_id"),
    refundId: text("refund_id"),
    transferId: text("transfer_id"),
    at: text("at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.journalId, t.line] }),
    index("ledger_entries_sub_order").on(t.subOrderId, t.account),
    index("ledger_entries_vendor").on(t.vendorId, t.account, t.component),
    index("ledger_entries_account").on(t.account, t.component, t.currency),
    check(
      "ledger_entries_account",
      sql`${t.account} in ('shopper_payments','platform_fees','vendor_payable','vendor_transfer_pending','vendor_paid','refunds','platform_reassignment_cost','provider_fees','vendor_carry_forward')`,
    ),
    check(
      "ledger_entries_vendor",
      sql`(${t.account} in ('vendor_payable','vendor_transfer_pending','vendor_paid','vendor_carry_forward')) = (${t.vendorId} is not null)`,
    ),
    check(
      "ledger_entries_names",
      sql`coalesce(${t.orderId}, ${t.subOrderId}, ${t.paymentId}, ${t.refundId}, ${t.transferId}) is not null`,
    ),
    check("ledger_entries_amount", sql`${t.amountMinor} <> 0`),
  ],
);

/** The last credit-note number given per vendor and financial year; bumped in the note's own batch. */
export const creditNoteCounters = sqliteTable(
  "credit_note_counters",
  {
    vendorId: text("vendor_id")
      .notNull()
      .references(() => vendors.id),
    financialYear: integer("financial_year").notNull(),
    last: integer("last").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.vendorId, t.financialYear] }),
    check("credit_note_counters_last", sql`${t.last} > 0`),
  ],
);
// ---- inventory bridge: a vendor's sheet or ERP sends signed counts and deltas -------------------

/**
 * A vendor's bridge signing secret, encrypted (AES-GCM under BRIDGE_SECRET_KEY): HMAC verification
 * needs the secret itself, so a hash cannot serve; a copy of the database alone cannot sign.
 */
export const bridgeSecrets = sqliteTable("bridge_secrets", {
  vendorId: text("vendor_id")
    .primaryKey()
    .references(() => vendors.id),
  sealed: text("sealed").notNull(),
  rotatedAt: text("rotated_at").notNull(),
});

/** Signatures seen inside the replay window: a second request with one is refused. */
export const bridgeSignatures = sqliteTable(
  "bridge_signatures",
  {
    signature: text("signature").primaryKey(),
    vendorId: text("vendor_id").notNull(),
    seenAt: integer("seen_at").notNull(),
  },
  (t) => [index("bridge_signatures_seen").on(t.seenAt)],
);

/**
 * Staged bridge rows, reconciled into the stock objects by the every-minute job. A row is claimed
 * by a lease (`lease_until`, `lease`) so two reconciles never both take it; its result, once the
 * stock object applied it, says what was applied and how far the sheet and the marketplace were apart.
 */
export const bridgeRows = sqliteTable(
  "bridge_rows",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    vendorId: text("vendor_id")
      .notNull()
      .references(() => vendors.id),
    skuId: text("sku_id")
      .notNull()
      .references(() => skus.id),
    warehouseId: text("warehouse_id")
      .notNull()
      .references(() => warehouses.id),
    kind: text("kind", { enum: ["count", "delta"] }).notNull(),
    qty: integer("qty").notNull(),
    countedAt: integer("counted_at"),
    reason: text("reason"),
    receivedAt: text("received_at").notNull(),
    status: text("status", { enum: ["staged", "applied"] })
      .notNull()
      .default("staged"),
    lease: text("lease"),
    leaseUntil: integer("lease_until"),
    appliedAt: text("applied_at"),
    outcome: text("outcome", { enum: ["applied", "superseded", "clamped"] }),
    onHandBefore: integer("on_hand_before"),
    onHandAfter: integer("on_hand_after"),
    target: integer("target"),
    shortfall: integer("shortfall"),
  },
  (t) => [
    index("bridge_rows_staged").on(t.skuId, t.id).where(sql`${t.status} = 'staged'`),
    index("bridge_rows_latest").on(t.vendorId, t.skuId, t.warehouseId, t.id),
    // The retention job walks applied rows oldest first, and asks whether the vendor applied
    // anything later (its latest stays: the drift report's lastAppliedAt reads it).
    index("bridge_rows_finished").on(t.appliedAt, t.id).where(sql`${t.status} = 'applied'`),
    index("bridge_rows_vendor_applied").on(t.vendorId, t.appliedAt).where(sql`${t.status} = 'applied'`),
    check("bridge_rows_kind", sql`${t.kind} in ('count','delta')`),
    check("bridge_rows_count", sql`${t.kind} = 'delta' or (${t.qty} >= 0 and ${t.countedAt} is not null)`),
  ],
);

/**
 * One row: where the bridge retention job's walk over applied rows (by applied_at, id) stopped;
 * empty when the next walk starts from the oldest.
 */
export const bridgePruneCursor = sqliteTable(
  "bridge_prune_cursor",
  {
    id: integer("id").primaryKey(),
    appliedAt: text("applied_at").notNull(),
    rowId: integer("row_id").notNull(),
  },
  (t) => [check("bridge_prune_cursor_one", sql`${t.id} = 1`)],
);

/** One reconcile page: what it applied and the D1 queries it spent (ops' view and the benchmark's). */
export const bridgeRuns = sqliteTable("bridge_runs", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  startedAt: integer("started_at").notNull(),
  finishedAt: integer("finished_at").notNull(),
  rows: integer("rows").notNull(),
  skus: integer("skus").notNull(),
  queries: integer("queries").notNull(),
});
// ---- vendor onboarding: invites, sign-in links, accounts and the wizard's progress

/** An ops invite to onboard: the link's secret is kept only as its SHA-256. */
export const vendorInvites = sqliteTable(
  "vendor_invites",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull(),
    email: text("email").notNull(),
    businessName: text("business_name"),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    consumedAt: text("consumed_at"),
    vendorId: text("vendor_id").references(() => vendors.id),
  },
  (t) => [uniqueIndex("vendor_invites_token").on(t.tokenHash), uniqueIndex("vendor_invites_vendor").on(t.vendorId)],
);

/** The address a self-onboarded vendor signs in with; one vendor per address. */
export const vendorAccounts = sqliteTable(
  "vendor_accounts",
  {
    vendorId: text("vendor_id")
      .primaryKey()
      .references(() => vendors.id),
    email: text("email").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [uniqueIndex("vendor_accounts_email").on(t.email)],
);

/** A one-time sign-in link sent to a vendor account's address, kept as its SHA-256. */
export const vendorSignInLinks = sqliteTable(
  "vendor_sign_in_links",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull(),
    vendorId: text("vendor_id")
      .notNull()
      .references(() => vendors.id),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    consumedAt: text("consumed_at"),
  },
  (t) => [uniqueIndex("vendor_sign_in_links_token").on(t.tokenHash)],
);

/** The onboarding wizard's server-side progress and ops' decision on it. */
export const vendorOnboarding = sqliteTable(
  "vendor_onboarding",
  {
    vendorId: text("vendor_id")
      .primaryKey()
      .references(() => vendors.id),
    /** The step the vendor resumes at. */
    step: text("step").notNull(),
    submittedAt: text("submitted_at"),
    decidedAt: text("decided_at"),
    rejectReason: text("reject_reason"),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("vendor_onboarding_submitted").on(t.submittedAt)],
);

// ---- catalog supply: product imports by CSV and product images

/**
 * One uploaded CSV of a vendor's products. Its valid rows wait in `product_import_pages`, applied a
 * page per invocation; the same content again (by SHA-256, per vendor) is this same import.
 */
export const productImports = sqliteTable(
  "product_imports",
  {
    id: text("id").primaryKey(),
    vendorId: text("vendor_id")
      .notNull()
      .references(() => vendors.id),
    contentHash: text("content_hash").notNull(),
    totalRows: integer("total_rows").notNull(),
    validRows: integer("valid_rows").notNull(),
    pages: integer("pages").notNull(),
    // The rows refused before anything was applied: [{ line, field, message }], at most MAX_REPORTED_ERRORS.
    errors: text("errors", { mode: "json" }).notNull(),
    invalidRows: integer("invalid_rows").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("product_imports_vendor_hash").on(t.vendorId, t.contentHash),
    index("product_imports_vendor").on(t.vendorId, t.createdAt),
  ],
);

/** A page of an import's valid rows and, once applied, what applying it did (written once). */
export const productImportPages = sqliteTable(
  "product_import_pages",
  {
    importId: text("import_id")
      .notNull()
      .references(() => productImports.id),
    page: integer("page").notNull(),
    rows: text("rows", { mode: "json" }).notNull(),
    rowCount: integer("row_count").notNull(),
    appliedAt: text("applied_at"),
    createdProducts: integer("created_products").notNull().default(0),
    createdSkus: integer("created_skus").notNull().default(0),
    offers: integer("offers").notNull().default(0),
    updatedSkus: integer("updated_skus").notNull().default(0),
    stockLevels: integer("stock_levels").notNull().default(0),
    // Rows refused when applied (a barcode another SKU of the vendor already has): [{ line, field, message }].
    errors: text("errors", { mode: "json" }),
  },
  (t) => [primaryKey({ columns: [t.importId, t.page] })],
);

/**
 * A product photo, stored in R2 in each of its resized forms; added by a vendor that sells the
 * product. `contentSha256` is of the bytes sent: the same photo sent again for the product (a
 * retried upload) is this one, not another.
 */
export const productImages = sqliteTable(
  "product_images",
  {
    id: text("id").primaryKey(),
    productId: text("product_id")
      .notNull()
      .references(() => products.id),
    vendorId: text("vendor_id").references(() => vendors.id),
    width: integer("width").notNull(),
    height: integer("height").notNull(),
    contentSha256: text("content_sha256"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    index("product_images_product").on(t.productId, t.createdAt),
    uniqueIndex("product_images_content").on(t.productId, t.contentSha256),
  ],
);

// ---- Payouts: runs, the transfer per sub-order, and what a run held back ----

/**
 * One payout run: the job's lease (one run at a time; a run that dies lets its lease lapse), its
 * reconciliation verdict and its totals. `status`: running, paid (reconciled, transfers made),
 * halted (reconciliation found a mismatch: nothing paid; `problems` says why).
 */
export const payoutRuns = sqliteTable(
  "payout_runs",
  {
    id: text("id").primaryKey(),
    status: text("status", { enum: ["running", "paid", "halted", "interrupted"] }).notNull(),
    currency: text("currency").notNull(),
    /** The reconciled period, by capture date: [from, before). */
    periodFrom: text("period_from").notNull(),
    periodBefore: text("period_before").notNull(),
    leaseUntil: text("lease_until").notNull(),
    problems: text("problems", { mode: "json" }).$type<string[]>(),
    /** The reconciliation's figures, for the ops view and its CSV. */
    figures: text("figures", { mode: "json" }).$type<Record<string, number>>(),
    transfers: integer("transfers").notNull().default(0),
    transferredMinor: integer("transferred_minor").notNull().default(0),
    held: integer("held").notNull().default(0),
    /** Invocations the run took: its first and each continuation page. */
    pages: integer("pages").notNull().default(0),
    reversals: integer("reversals").notNull().default(0),
    reversedMinor: integer("reversed_minor").notNull().default(0),
    carriedMinor: integer("carried_minor").notNull().default(0),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    /**
     * Set when the reconciliation held: the provider's clock when this run listed its transfers and
     * balance transactions. The next run lists from an hour before it (see payouts/run.ts).
     */
    listedBefore: text("listed_before"),
  },
  (t) => [
    index("payout_runs_started").on(t.startedAt, t.id),
    check("payout_runs_status", sql`${t.status} in ('running','paid','halted','interrupted')`),
  ],
);

/**
 * The platform's transfer of one sub-order's net to its vendor: written `pending` with its ledger
 * journal before the provider is asked, `paid` once the provider answered (or the crash repair found
 * it by its metadata), `failed` when the provider refused. One live transfer per sub-order.
 */
export const payoutTransfers = sqliteTable(
  "payout_transfers",
  {
    id: text("id").primaryKey(),
    runId: text("run_id")
      .notNull()
      .references(() => payoutRuns.id),
    subOrderId: text("sub_order_id")
      .notNull()
      .references(() => subOrders.id),
    orderId: text("order_id").notNull(),
    vendorId: text("vendor_id").notNull(),
    destination: text("destination").notNull(),
    status: text("status", { enum: ["pending", "paid", "failed"] }).notNull(),
    payableMinor: integer("payable_minor").notNull(),
    carryForwardMinor: integer("carry_forward_minor").notNull().default(0),
    amountMinor: integer("amount_minor").notNull(),
    reversedMinor: integer("reversed_minor").notNull().default(0),
    currency: text("currency").notNull(),
    providerTransferId: text("provider_transfer_id"),
    failure: text("failure"),
    createdAt: text("created_at").notNull(),
    confirmedAt: text("confirmed_at"),
    /** When the provider made it, by its own clock: what its transfer list filters on. */
    providerCreatedAt: text("provider_created_at"),
    /**
     * The charge the transfer draws on, or null when it goes from the platform's balance (more than
     * is left of the charge): a repair asks again with the same parameters under the same key.
     */
    sourceTransaction: text("source_transaction"),
  },
  (t) => [
    uniqueIndex("payout_transfers_live").on(t.subOrderId).where(sql`${t.status} <> 'failed'`),
    index("payout_transfers_vendor").on(t.vendorId, t.createdAt, t.id),
    index("payout_transfers_run").on(t.runId, t.vendorId),
    index("payout_transfers_pending").on(t.createdAt).where(sql`${t.status} = 'pending'`),
    index("payout_transfers_provider_created").on(t.providerCreatedAt).where(sql`${t.status} = 'paid'`),
    check("payout_transfers_status", sql`${t.status} in ('pending','paid','failed')`),
    check(
      "payout_transfers_amount",
      sql`${t.amountMinor} > 0 and ${t.amountMinor} = ${t.payableMinor} - ${t.carryForwardMinor}`,
    ),
  ],
);

/** What a run did not pay and why (a vendor's account not ready, a carried debt larger than the payout). */
export const payoutHolds = sqliteTable(
  "payout_holds",
  {
    runId: text("run_id")
      .notNull()
      .references(() => payoutRuns.id),
    subOrderId: text("sub_order_id").notNull(),
    vendorId: text("vendor_id").notNull(),
    payableMinor: integer("payable_minor").notNull(),
    reason: text("reason").notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.subOrderId] }), index("payout_holds_vendor").on(t.vendorId, t.runId)],
);

// ---- payout provider: Connect events, and the local payout simulator ----------------------------

/**
 * Connect events already recorded (account.updated, transfer.created, transfer.reversed, ...): a
 * redelivered event finds its id here and changes nothing. Transfer events keep their object's
 * ids and metadata for reconciliation against the ledger.
 */
export const payoutEvents = sqliteTable(
  "payout_events",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    accountId: text("account_id"),
    transferId: text("transfer_id"),
    subOrderId: text("sub_order_id"),
    amountMinor: integer("amount_minor"),
    amountReversedMinor: integer("amount_reversed_minor"),
    currency: text("currency"),
    /** What an `account.updated` reported, kept for a vendor linked to the account later. */
    readiness: text("readiness", { mode: "json" }).$type<{
      payoutsEnabled: boolean;
      detailsSubmitted: boolean;
      disabledReason: string | null;
      requirementsDue: string[];
    }>(),
    occurredAt: text("occurred_at").notNull(),
    receivedAt: text("received_at").notNull(),
  },
  (t) => [
    index("payout_events_transfer").on(t.transferId),
    index("payout_events_account").on(t.accountId, t.occurredAt),
  ],
);

/** The simulator's connected accounts (development only; production refuses the simulator). */
export const simPayoutAccounts = sqliteTable("sim_payout_accounts", {
  id: text("id").primaryKey(),
  vendorId: text("vendor_id").notNull(),
  idempotencyKey: text("idempotency_key").notNull().unique(),
  country: text("country").notNull(),
  email: text("email"),
  // Moved to the vendor's bank by simulateBankPayout; a reversal can take back only what is left.
  paidOutMinor: integer("paid_out_minor").notNull().default(0),
  createdAt: text("created_at").notNull(),
});

/** The simulator's transfers, one per idempotency key (kept forever, unlike a provider's 24 hours). */
export const simTransfers = sqliteTable(
  "sim_transfers",
  {
    id: text("id").primaryKey(),
    idempotencyKey: text("idempotency_key").notNull().unique(),
    amountMinor: integer("amount_minor").notNull(),
    amountReversedMinor: integer("amount_reversed_minor").notNull().default(0),
    currency: text("currency").notNull(),
    destination: text("destination").notNull(),
    transferGroup: text("transfer_group").notNull(),
    sourceTransaction: text("source_transaction"),
    subOrderId: text("sub_order_id").notNull(),
    orderId: text("order_id").notNull(),
    vendorId: text("vendor_id").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    index("sim_transfers_group").on(t.transferGroup, t.destination),
    index("sim_transfers_destination").on(t.destination),
    check("sim_transfers_amount", sql`${t.amountMinor} > 0`),
    check("sim_transfers_reversed", sql`${t.amountReversedMinor} between 0 and ${t.amountMinor}`),
  ],
);

export const simTransferReversals = sqliteTable(
  "sim_transfer_reversals",
  {
    id: text("id").primaryKey(),
    idempotencyKey: text("idempotency_key").notNull().unique(),
    transferId: text("transfer_id")
      .notNull()
      .references(() => simTransfers.id),
    amountMinor: integer("amount_minor").notNull(),
    currency: text("currency").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    index("sim_transfer_reversals_transfer").on(t.transferId),
    check("sim_reversals_amount", sql`${t.amountMinor} > 0`),
  ],
);

// ---- Analytics: roll-ups per day in the marketplace's time zone, stock snapshots, low-stock alerts ----
// Each order counts on the day it was placed. A day's rows are recomputed whole from the orders of
// that day (src/db/rollups.ts), so a refresh that runs twice writes the same rows, never twice the sums.

/** One row: how far the roll-ups have read the order event log (its id is the watermark). */
export const rollupState = sqliteTable(
  "rollup_state",
  {
    id: integer("id").primaryKey(),
    watermark: integer("watermark").notNull().default(0),
    /** The time of the latest refresh that left no event unread and no day pending. */
    asOf: text("as_of"),
  },
  (t) => [check("rollup_state_one", sql`${t.id} = 1`)],
);

/** Days whose orders changed since their roll-up rows were computed. */
export const rollupDirtyDays = sqliteTable("rollup_dirty_days", {
  day: text("day").primaryKey(),
  markedAt: text("marked_at").notNull(),
});

const platformMeasures = () => ({
  gmvMinor: integer("gmv_minor").notNull(),
  refundedMinor: integer("refunded_minor").notNull(),
  ordersPlaced: integer("orders_placed").notNull(),
  ordersPaid: integer("orders_paid").notNull(),
  subOrders: integer("sub_orders").notNull(),
  cancelledSubOrders: integer("cancelled_sub_orders").notNull(),
  slaBreaches: integer("sla_breaches").notNull(),
  slaNudges: integer("sla_nudges").notNull(),
  returnedSubOrders: integer("returned_sub_orders").notNull(),
  dispatchedSubOrders: integer("dispatched_sub_orders").notNull(),
  deliveredSubOrders: integer("delivered_sub_orders").notNull(),
});

export const rollupPlatformDays = sqliteTable("rollup_platform_days", {
  day: text("day").primaryKey(),
  ...platformMeasures(),
});

export const rollupVendorDays = sqliteTable(
  "rollup_vendor_days",
  {
    day: text("day").notNull(),
    vendorId: text("vendor_id").notNull(),
    salesMinor: integer("sales_minor").notNull(),
    refundedMinor: integer("refunded_minor").notNull(),
    subOrders: integer("sub_orders").notNull(),
    units: integer("units").notNull(),
    returnedUnits: integer("returned_units").notNull(),
    cancelledSubOrders: integer("cancelled_sub_orders").notNull(),
    slaBreaches: integer("sla_breaches").notNull(),
    slaNudges: integer("sla_nudges").notNull(),
    dispatchedSubOrders: integer("dispatched_sub_orders").notNull(),
    deliveredSubOrders: integer("delivered_sub_orders").notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.vendorId] }), index("rollup_vendor_days_vendor").on(t.vendorId, t.day)],
);

/** Sales by SKU (and so by product) per vendor and day. */
export const rollupSkuDays = sqliteTable(
  "rollup_sku_days",
  {
    vendorId: text("vendor_id").notNull(),
    day: text("day").notNull(),
    skuId: text("sku_id").notNull(),
    productId: text("product_id").notNull(),
    units: integer("units").notNull(),
    salesMinor: integer("sales_minor").notNull(),
    returnedUnits: integer("returned_units").notNull(),
  },
  (t) => [primaryKey({ columns: [t.vendorId, t.day, t.skuId] }), index("rollup_sku_days_day").on(t.day)],
);

export const rollupWarehouseDays = sqliteTable(
  "rollup_warehouse_days",
  {
    day: text("day").notNull(),
    warehouseId: text("warehouse_id").notNull(),
    vendorId: text("vendor_id").notNull(),
    lines: integer("lines").notNull(),
    units: integer("units").notNull(),
    salesMinor: integer("sales_minor").notNull(),
    returnedUnits: integer("returned_units").notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.warehouseId] })],
);

/** Sub-orders by their current status, per vendor and day. */
export const rollupStatusDays = sqliteTable(
  "rollup_status_days",
  {
    day: text("day").notNull(),
    vendorId: text("vendor_id").notNull(),
    status: text("status").notNull(),
    subOrders: integer("sub_orders").notNull(),
    totalMinor: integer("total_minor").notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.vendorId, t.status] })],
);

/** Histogram counts (domain/latency-histogram.ts) per vendor, and for the platform under vendor '*'. */
export const rollupLatencyDays = sqliteTable(
  "rollup_latency_days",
  {
    vendorId: text("vendor_id").notNull(),
    metric: text("metric", { enum: ["dispatch", "delivery"] }).notNull(),
    day: text("day").notNull(),
    bucket: integer("bucket").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.vendorId, t.metric, t.day, t.bucket] }),
    index("rollup_latency_days_day").on(t.day),
    check("rollup_latency_days_metric", sql`${t.metric} in ('dispatch','delivery')`),
  ],
);

/** The stock mirror per SKU and warehouse as the refresh found it, the last one of each day kept. */
export const stockSnapshots = sqliteTable(
  "stock_snapshots",
  {
    vendorId: text("vendor_id").notNull(),
    day: text("day").notNull(),
    skuId: text("sku_id").notNull(),
    warehouseId: text("warehouse_id").notNull(),
    onHand: integer("on_hand").notNull(),
    available: integer("available").notNull(),
  },
  (t) => [primaryKey({ columns: [t.vendorId, t.day, t.skuId, t.warehouseId] })],
);

/**
 * Where each (SKU, warehouse) stands against its SKU's low-stock threshold: `low` once available
 * fell to or below it (the vendor and ops were told then, once), back to `ok` only when it rose above.
 */
export const lowStockAlerts = sqliteTable(
  "low_stock_alerts",
  {
    skuId: text("sku_id")
      .notNull()
      .references(() => skus.id),
    warehouseId: text("warehouse_id")
      .notNull()
      .references(() => warehouses.id),
    vendorId: text("vendor_id").notNull(),
    state: text("state", { enum: ["low", "ok"] }).notNull(),
    available: integer("available").notNull(),
    threshold: integer("threshold").notNull(),
    /** The latest crossing into `low`; the notifications of that crossing are keyed by it. */
    crossedAt: text("crossed_at"),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.skuId, t.warehouseId] }),
    index("low_stock_alerts_vendor").on(t.vendorId, t.state),
    check("low_stock_alerts_state", sql`${t.state} in ('low','ok')`),
  ],
);

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
