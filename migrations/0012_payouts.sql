CREATE TABLE `payout_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`account_id` text,
	`transfer_id` text,
	`sub_order_id` text,
	`amount_minor` integer,
	`amount_reversed_minor` integer,
	`currency` text,
	`occurred_at` text NOT NULL,
	`received_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `payout_events_transfer` ON `payout_events` (`transfer_id`);--> statement-breakpoint
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
CREATE TABLE `sim_payout_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`vendor_id` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`country` text NOT NULL,
	`email` text,
	`paid_out_minor` integer DEFAULT 0 NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sim_payout_accounts_idempotency_key_unique` ON `sim_payout_accounts` (`idempotency_key`);--> statement-breakpoint
CREATE TABLE `sim_transfer_reversals` (
	`id` text PRIMARY KEY NOT NULL,
	`idempotency_key` text NOT NULL,
	`transfer_id` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`transfer_id`) REFERENCES `sim_transfers`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "sim_reversals_amount" CHECK("sim_transfer_reversals"."amount_minor" > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sim_transfer_reversals_idempotency_key_unique` ON `sim_transfer_reversals` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `sim_transfer_reversals_transfer` ON `sim_transfer_reversals` (`transfer_id`);--> statement-breakpoint
CREATE TABLE `sim_transfers` (
	`id` text PRIMARY KEY NOT NULL,
	`idempotency_key` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`amount_reversed_minor` integer DEFAULT 0 NOT NULL,
	`currency` text NOT NULL,
	`destination` text NOT NULL,
	`transfer_group` text NOT NULL,
	`source_transaction` text,
	`sub_order_id` text NOT NULL,
	`order_id` text NOT NULL,
	`vendor_id` text NOT NULL,
	`created_at` text NOT NULL,
	CONSTRAINT "sim_transfers_amount" CHECK("sim_transfers"."amount_minor" > 0),
	CONSTRAINT "sim_transfers_reversed" CHECK("sim_transfers"."amount_reversed_minor" between 0 and "sim_transfers"."amount_minor")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sim_transfers_idempotency_key_unique` ON `sim_transfers` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `sim_transfers_group` ON `sim_transfers` (`transfer_group`,`destination`);--> statement-breakpoint
CREATE INDEX `sim_transfers_destination` ON `sim_transfers` (`destination`);--> statement-breakpoint
ALTER TABLE `payments` ADD `charge_id` text;--> statement-breakpoint
ALTER TABLE `vendors` ADD `payouts_enabled` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `vendors` ADD `payout_details_submitted` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `vendors` ADD `payout_disabled_reason` text;--> statement-breakpoint
ALTER TABLE `vendors` ADD `payout_requirements_due` text;--> statement-breakpoint
ALTER TABLE `vendors` ADD `payout_account_updated_at` text;--> statement-breakpoint
CREATE INDEX `sub_orders_delivered` ON `sub_orders` (`delivered_at`,`id`) WHERE "sub_orders"."delivered_at" is not null;