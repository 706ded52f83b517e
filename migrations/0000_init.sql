CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`role` text NOT NULL,
	`vendor_id` text,
	`customer_id` text,
	`created_at` text NOT NULL,
	`revoked_at` text,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "api_tokens_role" CHECK("api_tokens"."role" in ('admin','ops','vendor','customer')),
	CONSTRAINT "api_tokens_binding" CHECK(("api_tokens"."role" = 'vendor') = ("api_tokens"."vendor_id" is not null) and ("api_tokens"."role" = 'customer') = ("api_tokens"."customer_id" is not null))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `customers` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`email` text,
	`phone` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`response_status` integer NOT NULL,
	`response_body` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	PRIMARY KEY(`scope`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_expiry` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
CREATE TABLE `line_items` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`sub_order_id` text NOT NULL,
	`line_index` integer NOT NULL,
	`sku_id` text NOT NULL,
	`warehouse_id` text NOT NULL,
	`qty` integer NOT NULL,
	`unit_price_minor` integer NOT NULL,
	`line_total_minor` integer NOT NULL,
	`currency` text NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`sub_order_id`) REFERENCES `sub_orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`sku_id`) REFERENCES `skus`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`warehouse_id`) REFERENCES `warehouses`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "line_items_qty" CHECK("line_items"."qty" > 0),
	CONSTRAINT "line_items_price" CHECK("line_items"."unit_price_minor" >= 0),
	CONSTRAINT "line_items_total" CHECK("line_items"."line_total_minor" = "line_items"."qty" * "line_items"."unit_price_minor")
);
--> statement-breakpoint
CREATE INDEX `line_items_order` ON `line_items` (`order_id`);--> statement-breakpoint
CREATE INDEX `line_items_sub_order` ON `line_items` (`sub_order_id`);--> statement-breakpoint
CREATE INDEX `line_items_warehouse` ON `line_items` (`warehouse_id`,`order_id`);--> statement-breakpoint
CREATE TABLE `order_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` text NOT NULL,
	`sub_order_id` text,
	`type` text NOT NULL,
	`at` text NOT NULL,
	`actor_role` text NOT NULL,
	`actor_id` text,
	`reason` text,
	`data` text,
	`dedupe_key` text,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`sub_order_id`) REFERENCES `sub_orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `order_events_order` ON `order_events` (`order_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `order_events_dedupe` ON `order_events` (`dedupe_key`);--> statement-breakpoint
CREATE TABLE `orders` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`status` text NOT NULL,
	`payment_status` text NOT NULL,
	`currency` text NOT NULL,
	`total_minor` integer NOT NULL,
	`ship_to` text NOT NULL,
	`ship_lat` real NOT NULL,
	`ship_lng` real NOT NULL,
	`hold_id` text NOT NULL,
	`hold_expires_at` text NOT NULL,
	`review_held` integer DEFAULT false NOT NULL,
	`review_note` text,
	`paid_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "orders_total" CHECK("orders"."total_minor" >= 0),
	CONSTRAINT "orders_status" CHECK("orders"."status" in ('pending_payment','paid','partially_dispatched','dispatched','partially_delivered','delivered','cancelled','partially_cancelled')),
	CONSTRAINT "orders_payment_status" CHECK("orders"."payment_status" in ('unpaid','paid','refunded','partially_refunded'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `orders_hold` ON `orders` (`hold_id`);--> statement-breakpoint
CREATE INDEX `orders_customer_created` ON `orders` (`customer_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `orders_created` ON `orders` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `orders_status_created` ON `orders` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `orders_unpaid_expiry` ON `orders` (`hold_expires_at`) WHERE "orders"."status" = 'pending_payment';--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`order_id` text,
	`payload` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`created_at` text NOT NULL,
	`dispatched_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_dedupe` ON `outbox` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `outbox_pending` ON `outbox` (`id`) WHERE "outbox"."dispatched_at" is null;--> statement-breakpoint
CREATE TABLE `payment_events` (
	`id` text PRIMARY KEY NOT NULL,
	`payment_id` text NOT NULL,
	`type` text NOT NULL,
	`received_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `payments` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`provider` text NOT NULL,
	`status` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`refunded_minor` integer DEFAULT 0 NOT NULL,
	`currency` text NOT NULL,
	`client_secret` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "payments_status" CHECK("payments"."status" in ('requires_payment','succeeded','failed','canceled')),
	CONSTRAINT "payments_refund" CHECK("payments"."refunded_minor" between 0 and "payments"."amount_minor")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payments_order` ON `payments` (`order_id`);--> statement-breakpoint
CREATE TABLE `postal_codes` (
	`country` text NOT NULL,
	`code` text NOT NULL,
	`place` text,
	`lat` real NOT NULL,
	`lng` real NOT NULL,
	PRIMARY KEY(`country`, `code`),
	CONSTRAINT "postal_codes_lat" CHECK("postal_codes"."lat" between -90 and 90),
	CONSTRAINT "postal_codes_lng" CHECK("postal_codes"."lng" between -180 and 180)
);
--> statement-breakpoint
CREATE TABLE `processed_messages` (
	`consumer` text NOT NULL,
	`event_id` text NOT NULL,
	`processed_at` text NOT NULL,
	PRIMARY KEY(`consumer`, `event_id`)
);
--> statement-breakpoint
CREATE TABLE `products` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `refunds` (
	`id` text PRIMARY KEY NOT NULL,
	`payment_id` text NOT NULL,
	`order_id` text NOT NULL,
	`sub_order_id` text,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`reason` text NOT NULL,
	`provider_ref` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`sub_order_id`) REFERENCES `sub_orders`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "refunds_amount" CHECK("refunds"."amount_minor" > 0)
);
--> statement-breakpoint
CREATE INDEX `refunds_order` ON `refunds` (`order_id`);--> statement-breakpoint
CREATE TABLE `skus` (
	`id` text PRIMARY KEY NOT NULL,
	`vendor_id` text NOT NULL,
	`product_id` text NOT NULL,
	`code` text NOT NULL,
	`title` text NOT NULL,
	`price_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`barcode` text NOT NULL,
	`low_stock_threshold` integer DEFAULT 0 NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "skus_price" CHECK("skus"."price_minor" >= 0),
	CONSTRAINT "skus_currency" CHECK(length("skus"."currency") = 3),
	CONSTRAINT "skus_threshold" CHECK("skus"."low_stock_threshold" >= 0),
	CONSTRAINT "skus_status" CHECK("skus"."status" in ('active','inactive'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `skus_vendor_code` ON `skus` (`vendor_id`,`code`);--> statement-breakpoint
CREATE UNIQUE INDEX `skus_vendor_barcode` ON `skus` (`vendor_id`,`barcode`);--> statement-breakpoint
CREATE INDEX `skus_product` ON `skus` (`product_id`);--> statement-breakpoint
CREATE TABLE `stock_levels` (
	`sku_id` text NOT NULL,
	`warehouse_id` text NOT NULL,
	`on_hand` integer NOT NULL,
	`available` integer NOT NULL,
	`held` integer NOT NULL,
	`committed` integer NOT NULL,
	`version` integer NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`sku_id`, `warehouse_id`),
	FOREIGN KEY (`sku_id`) REFERENCES `skus`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`warehouse_id`) REFERENCES `warehouses`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `stock_levels_warehouse` ON `stock_levels` (`warehouse_id`);--> statement-breakpoint
CREATE TABLE `sub_orders` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`vendor_id` text NOT NULL,
	`status` text NOT NULL,
	`currency` text NOT NULL,
	`subtotal_minor` integer NOT NULL,
	`shipping_minor` integer DEFAULT 0 NOT NULL,
	`total_minor` integer NOT NULL,
	`commission_bps` integer NOT NULL,
	`commission_minor` integer NOT NULL,
	`sla_dispatch_by` text,
	`dispatched_at` text,
	`delivered_at` text,
	`carrier` text,
	`awb` text,
	`cancellation_reason` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "sub_orders_status" CHECK("sub_orders"."status" in ('pending_payment','paid','confirmed','packed','dispatched','delivered','cancelled','returned')),
	CONSTRAINT "sub_orders_amounts" CHECK("sub_orders"."subtotal_minor" >= 0 and "sub_orders"."shipping_minor" >= 0),
	CONSTRAINT "sub_orders_total" CHECK("sub_orders"."total_minor" = "sub_orders"."subtotal_minor" + "sub_orders"."shipping_minor"),
	CONSTRAINT "sub_orders_commission" CHECK("sub_orders"."commission_bps" between 0 and 10000)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sub_orders_order_vendor` ON `sub_orders` (`order_id`,`vendor_id`);--> statement-breakpoint
CREATE INDEX `sub_orders_vendor_created` ON `sub_orders` (`vendor_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `sub_orders_status_sla` ON `sub_orders` (`status`,`sla_dispatch_by`);--> statement-breakpoint
CREATE TABLE `vendors` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`dispatch_sla_hours` integer DEFAULT 18 NOT NULL,
	`nudge_lead_hours` integer DEFAULT 6 NOT NULL,
	`commission_bps` integer NOT NULL,
	`hourly_capacity` integer NOT NULL,
	`payout_account_id` text,
	`created_at` text NOT NULL,
	CONSTRAINT "vendors_status" CHECK("vendors"."status" in ('active','suspended')),
	CONSTRAINT "vendors_sla" CHECK("vendors"."dispatch_sla_hours" between 1 and 720),
	CONSTRAINT "vendors_nudge" CHECK("vendors"."nudge_lead_hours" >= 0),
	CONSTRAINT "vendors_commission" CHECK("vendors"."commission_bps" between 0 and 10000),
	CONSTRAINT "vendors_capacity" CHECK("vendors"."hourly_capacity" >= 0)
);
--> statement-breakpoint
CREATE TABLE `warehouses` (
	`id` text PRIMARY KEY NOT NULL,
	`vendor_id` text NOT NULL,
	`name` text NOT NULL,
	`lat` real NOT NULL,
	`lng` real NOT NULL,
	`postal_code` text NOT NULL,
	`country` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "warehouses_lat" CHECK("warehouses"."lat" between -90 and 90),
	CONSTRAINT "warehouses_lng" CHECK("warehouses"."lng" between -180 and 180),
	CONSTRAINT "warehouses_status" CHECK("warehouses"."status" in ('active','inactive'))
);
--> statement-breakpoint
CREATE INDEX `warehouses_vendor` ON `warehouses` (`vendor_id`);