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
ALTER TABLE `vendors` ADD `payout_account_updated_at` text;