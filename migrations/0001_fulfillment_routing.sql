CREATE TABLE `carriers` (
	`code` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`awb_pattern` text NOT NULL,
	`awb_example` text NOT NULL,
	`active` integer DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE `credit_notes` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`sub_order_id` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`reason` text NOT NULL,
	`refund_id` text,
	`created_at` text NOT NULL,
	`dedupe_key` text NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`sub_order_id`) REFERENCES `sub_orders`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "credit_notes_amount" CHECK("credit_notes"."amount_minor" > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `credit_notes_dedupe` ON `credit_notes` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `credit_notes_order` ON `credit_notes` (`order_id`);--> statement-breakpoint
CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`queue` text NOT NULL,
	`message_id` text NOT NULL,
	`body` text NOT NULL,
	`attempts` integer NOT NULL,
	`received_at` text NOT NULL,
	`replayed_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dead_letters_message` ON `dead_letters` (`queue`,`message_id`);--> statement-breakpoint
CREATE INDEX `dead_letters_received` ON `dead_letters` (`received_at`);--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text,
	`sub_order_id` text,
	`customer_id` text,
	`thread_key` text NOT NULL,
	`channel` text NOT NULL,
	`recipient` text,
	`template` text NOT NULL,
	`priority` integer NOT NULL,
	`payload` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`error` text,
	`provider_ref` text,
	`dedupe_key` text NOT NULL,
	`created_at` text NOT NULL,
	`sent_at` text,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`sub_order_id`) REFERENCES `sub_orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "notifications_status" CHECK("notifications"."status" in ('queued','sent','failed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_dedupe` ON `notifications` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `notifications_order` ON `notifications` (`order_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `notifications_queue` ON `notifications` (`priority`,`created_at`) WHERE "notifications"."status" = 'queued';--> statement-breakpoint
CREATE TABLE `rate_cards` (
	`id` text PRIMARY KEY NOT NULL,
	`vendor_id` text,
	`max_km` integer NOT NULL,
	`max_weight_grams` integer NOT NULL,
	`price_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`transit_days` integer NOT NULL,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "rate_cards_bands" CHECK("rate_cards"."max_km" > 0 and "rate_cards"."max_weight_grams" > 0 and "rate_cards"."transit_days" >= 0),
	CONSTRAINT "rate_cards_price" CHECK("rate_cards"."price_minor" >= 0)
);
--> statement-breakpoint
CREATE INDEX `rate_cards_vendor` ON `rate_cards` (`vendor_id`,`max_km`,`max_weight_grams`);--> statement-breakpoint
CREATE TABLE `reassignments` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`from_sub_order_id` text NOT NULL,
	`to_sub_order_id` text NOT NULL,
	`moves` text NOT NULL,
	`platform_cost_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`actor_role` text NOT NULL,
	`actor_id` text,
	`reason` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`from_sub_order_id`) REFERENCES `sub_orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`to_sub_order_id`) REFERENCES `sub_orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `reassignments_order` ON `reassignments` (`order_id`);--> statement-breakpoint
CREATE TABLE `routing_decisions` (
	`order_id` text PRIMARY KEY NOT NULL,
	`weights_version` integer NOT NULL,
	`explanation` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `routing_weights` (
	`version` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`weights` text NOT NULL,
	`changes` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `vendor_scores` (
	`vendor_id` text PRIMARY KEY NOT NULL,
	`avg_dispatch_hours` real NOT NULL,
	`on_time_rate_bps` integer NOT NULL,
	`breach_rate_bps` integer NOT NULL,
	`cancel_rate_bps` integer NOT NULL,
	`sample_size` integer NOT NULL,
	`weights_version` integer,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "vendor_scores_rates" CHECK("vendor_scores"."on_time_rate_bps" between 0 and 10000 and "vendor_scores"."breach_rate_bps" between 0 and 10000 and "vendor_scores"."cancel_rate_bps" between 0 and 10000)
);
--> statement-breakpoint
ALTER TABLE `sub_orders` ADD `promised_delivery_by` text;--> statement-breakpoint
ALTER TABLE `sub_orders` ADD `confirmed_at` text;--> statement-breakpoint
ALTER TABLE `sub_orders` ADD `packed_at` text;--> statement-breakpoint
ALTER TABLE `sub_orders` ADD `returned_at` text;--> statement-breakpoint
ALTER TABLE `sub_orders` ADD `cancelled_at` text;--> statement-breakpoint
ALTER TABLE `sub_orders` ADD `nudged_at` text;--> statement-breakpoint
ALTER TABLE `sub_orders` ADD `photo_key` text;--> statement-breakpoint
CREATE INDEX `sub_orders_sla_open` ON `sub_orders` (`sla_dispatch_by`) WHERE "sub_orders"."status" in ('paid','confirmed','packed') and "sub_orders"."sla_dispatch_by" is not null;--> statement-breakpoint
-- Columns added in place rather than by rebuilding tables: D1 keeps foreign keys on during migrations.
ALTER TABLE `line_items` ADD `product_id` text REFERENCES `products`(`id`);--> statement-breakpoint
ALTER TABLE `line_items` ADD `returned_qty` integer DEFAULT 0 NOT NULL CONSTRAINT "line_items_returned" CHECK("returned_qty" between 0 and "qty");--> statement-breakpoint
ALTER TABLE `skus` ADD `weight_grams` integer DEFAULT 500 NOT NULL CONSTRAINT "skus_weight" CHECK("weight_grams" > 0);--> statement-breakpoint
-- Carriers the marketplace ships with; patterns are data, editable without a deploy.
INSERT INTO `carriers` (`code`, `name`, `awb_pattern`, `awb_example`) VALUES
  ('delhivery', 'Delhivery', '^[0-9]{13,14}$', '1234567890123'),
  ('bluedart', 'Blue Dart', '^[0-9]{11}$', '12345678901'),
  ('dtdc', 'DTDC', '^[A-Z][0-9]{8}$', 'D12345678'),
  ('trackon', 'Trackon', '^[0-9]{9,12}$', '500123456'),
  ('generic', 'Other carrier', '^[A-Za-z0-9-]{6,30}$', 'TRK-123456');
