CREATE TABLE `low_stock_alerts` (
	`sku_id` text NOT NULL,
	`warehouse_id` text NOT NULL,
	`vendor_id` text NOT NULL,
	`state` text NOT NULL,
	`available` integer NOT NULL,
	`threshold` integer NOT NULL,
	`crossed_at` text,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`sku_id`, `warehouse_id`),
	FOREIGN KEY (`sku_id`) REFERENCES `skus`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`warehouse_id`) REFERENCES `warehouses`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "low_stock_alerts_state" CHECK("low_stock_alerts"."state" in ('low','ok'))
);
--> statement-breakpoint
CREATE INDEX `low_stock_alerts_vendor` ON `low_stock_alerts` (`vendor_id`,`state`);--> statement-breakpoint
CREATE TABLE `rollup_dirty_days` (
	`day` text PRIMARY KEY NOT NULL,
	`marked_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `rollup_latency_days` (
	`vendor_id` text NOT NULL,
	`metric` text NOT NULL,
	`day` text NOT NULL,
	`bucket` integer NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`vendor_id`, `metric`, `day`, `bucket`),
	CONSTRAINT "rollup_latency_days_metric" CHECK("rollup_latency_days"."metric" in ('dispatch','delivery'))
);
--> statement-breakpoint
CREATE INDEX `rollup_latency_days_day` ON `rollup_latency_days` (`day`);--> statement-breakpoint
CREATE TABLE `rollup_platform_days` (
	`day` text PRIMARY KEY NOT NULL,
	`gmv_minor` integer NOT NULL,
	`refunded_minor` integer NOT NULL,
	`orders_placed` integer NOT NULL,
	`orders_paid` integer NOT NULL,
	`sub_orders` integer NOT NULL,
	`cancelled_sub_orders` integer NOT NULL,
	`sla_breaches` integer NOT NULL,
	`sla_nudges` integer NOT NULL,
	`returned_sub_orders` integer NOT NULL,
	`dispatched_sub_orders` integer NOT NULL,
	`delivered_sub_orders` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `rollup_sku_days` (
	`vendor_id` text NOT NULL,
	`day` text NOT NULL,
	`sku_id` text NOT NULL,
	`product_id` text NOT NULL,
	`units` integer NOT NULL,
	`sales_minor` integer NOT NULL,
	`returned_units` integer NOT NULL,
	PRIMARY KEY(`vendor_id`, `day`, `sku_id`)
);
--> statement-breakpoint
CREATE INDEX `rollup_sku_days_day` ON `rollup_sku_days` (`day`);--> statement-breakpoint
CREATE TABLE `rollup_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`watermark` integer DEFAULT 0 NOT NULL,
	`as_of` text,
	CONSTRAINT "rollup_state_one" CHECK("rollup_state"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE `rollup_status_days` (
	`day` text NOT NULL,
	`vendor_id` text NOT NULL,
	`status` text NOT NULL,
	`sub_orders` integer NOT NULL,
	`total_minor` integer NOT NULL,
	PRIMARY KEY(`day`, `vendor_id`, `status`)
);
--> statement-breakpoint
CREATE TABLE `rollup_vendor_days` (
	`day` text NOT NULL,
	`vendor_id` text NOT NULL,
	`sales_minor` integer NOT NULL,
	`refunded_minor` integer NOT NULL,
	`sub_orders` integer NOT NULL,
	`units` integer NOT NULL,
	`returned_units` integer NOT NULL,
	`cancelled_sub_orders` integer NOT NULL,
	`sla_breaches` integer NOT NULL,
	`sla_nudges` integer NOT NULL,
	`dispatched_sub_orders` integer NOT NULL,
	`delivered_sub_orders` integer NOT NULL,
	PRIMARY KEY(`day`, `vendor_id`)
);
--> statement-breakpoint
CREATE INDEX `rollup_vendor_days_vendor` ON `rollup_vendor_days` (`vendor_id`,`day`);--> statement-breakpoint
CREATE TABLE `rollup_warehouse_days` (
	`day` text NOT NULL,
	`warehouse_id` text NOT NULL,
	`vendor_id` text NOT NULL,
	`lines` integer NOT NULL,
	`units` integer NOT NULL,
	`sales_minor` integer NOT NULL,
	`returned_units` integer NOT NULL,
	PRIMARY KEY(`day`, `warehouse_id`)
);
--> statement-breakpoint
CREATE TABLE `stock_snapshots` (
	`vendor_id` text NOT NULL,
	`day` text NOT NULL,
	`sku_id` text NOT NULL,
	`warehouse_id` text NOT NULL,
	`on_hand` integer NOT NULL,
	`available` integer NOT NULL,
	PRIMARY KEY(`vendor_id`, `day`, `sku_id`, `warehouse_id`)
);
--> statement-breakpoint
ALTER TABLE `skus` ADD `lead_time_days` integer DEFAULT 7 NOT NULL;