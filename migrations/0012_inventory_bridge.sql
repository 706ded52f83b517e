CREATE TABLE `bridge_rows` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`vendor_id` text NOT NULL,
	`sku_id` text NOT NULL,
	`warehouse_id` text NOT NULL,
	`kind` text NOT NULL,
	`qty` integer NOT NULL,
	`counted_at` integer,
	`reason` text,
	`received_at` text NOT NULL,
	`status` text DEFAULT 'staged' NOT NULL,
	`lease` text,
	`lease_until` integer,
	`applied_at` text,
	`outcome` text,
	`on_hand_before` integer,
	`on_hand_after` integer,
	`target` integer,
	`shortfall` integer,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`sku_id`) REFERENCES `skus`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`warehouse_id`) REFERENCES `warehouses`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "bridge_rows_kind" CHECK("bridge_rows"."kind" in ('count','delta')),
	CONSTRAINT "bridge_rows_count" CHECK("bridge_rows"."kind" = 'delta' or ("bridge_rows"."qty" >= 0 and "bridge_rows"."counted_at" is not null))
);
--> statement-breakpoint
CREATE INDEX `bridge_rows_staged` ON `bridge_rows` (`sku_id`,`id`) WHERE "bridge_rows"."status" = 'staged';--> statement-breakpoint
CREATE INDEX `bridge_rows_latest` ON `bridge_rows` (`vendor_id`,`sku_id`,`warehouse_id`,`id`);--> statement-breakpoint
CREATE TABLE `bridge_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer NOT NULL,
	`rows` integer NOT NULL,
	`skus` integer NOT NULL,
	`queries` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `bridge_secrets` (
	`vendor_id` text PRIMARY KEY NOT NULL,
	`sealed` text NOT NULL,
	`rotated_at` text NOT NULL,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `bridge_signatures` (
	`signature` text PRIMARY KEY NOT NULL,
	`vendor_id` text NOT NULL,
	`seen_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `bridge_signatures_seen` ON `bridge_signatures` (`seen_at`);