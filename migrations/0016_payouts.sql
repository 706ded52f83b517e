CREATE TABLE `payout_holds` (
	`run_id` text NOT NULL,
	`sub_order_id` text NOT NULL,
	`vendor_id` text NOT NULL,
	`payable_minor` integer NOT NULL,
	`reason` text NOT NULL,
	PRIMARY KEY(`run_id`, `sub_order_id`),
	FOREIGN KEY (`run_id`) REFERENCES `payout_runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `payout_holds_vendor` ON `payout_holds` (`vendor_id`,`run_id`);--> statement-breakpoint
CREATE TABLE `payout_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`currency` text NOT NULL,
	`period_from` text NOT NULL,
	`period_before` text NOT NULL,
	`lease_until` text NOT NULL,
	`problems` text,
	`figures` text,
	`transfers` integer DEFAULT 0 NOT NULL,
	`transferred_minor` integer DEFAULT 0 NOT NULL,
	`held` integer DEFAULT 0 NOT NULL,
	`pages` integer DEFAULT 0 NOT NULL,
	`reversals` integer DEFAULT 0 NOT NULL,
	`reversed_minor` integer DEFAULT 0 NOT NULL,
	`carried_minor` integer DEFAULT 0 NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text,
	CONSTRAINT "payout_runs_status" CHECK("payout_runs"."status" in ('running','paid','halted','interrupted'))
);
--> statement-breakpoint
CREATE INDEX `payout_runs_started` ON `payout_runs` (`started_at`,`id`);--> statement-breakpoint
CREATE TABLE `payout_transfers` (
	`id` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`sub_order_id` text NOT NULL,
	`order_id` text NOT NULL,
	`vendor_id` text NOT NULL,
	`destination` text NOT NULL,
	`status` text NOT NULL,
	`payable_minor` integer NOT NULL,
	`carry_forward_minor` integer DEFAULT 0 NOT NULL,
	`amount_minor` integer NOT NULL,
	`reversed_minor` integer DEFAULT 0 NOT NULL,
	`currency` text NOT NULL,
	`provider_transfer_id` text,
	`failure` text,
	`created_at` text NOT NULL,
	`confirmed_at` text,
	`provider_created_at` text,
	FOREIGN KEY (`run_id`) REFERENCES `payout_runs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`sub_order_id`) REFERENCES `sub_orders`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "payout_transfers_status" CHECK("payout_transfers"."status" in ('pending','paid','failed')),
	CONSTRAINT "payout_transfers_amount" CHECK("payout_transfers"."amount_minor" > 0 and "payout_transfers"."amount_minor" = "payout_transfers"."payable_minor" - "payout_transfers"."carry_forward_minor")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payout_transfers_live` ON `payout_transfers` (`sub_order_id`) WHERE "payout_transfers"."status" <> 'failed';--> statement-breakpoint
CREATE INDEX `payout_transfers_vendor` ON `payout_transfers` (`vendor_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `payout_transfers_run` ON `payout_transfers` (`run_id`,`vendor_id`);--> statement-breakpoint
CREATE INDEX `payout_transfers_pending` ON `payout_transfers` (`created_at`) WHERE "payout_transfers"."status" = 'pending';--> statement-breakpoint
CREATE INDEX `payout_transfers_provider_created` ON `payout_transfers` (`provider_created_at`) WHERE "payout_transfers"."status" = 'paid';--> statement-breakpoint
CREATE INDEX `sub_orders_delivered` ON `sub_orders` (`delivered_at`,`id`) WHERE "sub_orders"."delivered_at" is not null;