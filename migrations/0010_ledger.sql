CREATE TABLE `credit_note_counters` (
	`vendor_id` text NOT NULL,
	`financial_year` integer NOT NULL,
	`last` integer NOT NULL,
	PRIMARY KEY(`vendor_id`, `financial_year`),
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "credit_note_counters_last" CHECK("credit_note_counters"."last" > 0)
);
--> statement-breakpoint
CREATE TABLE `ledger_entries` (
	`journal_id` text NOT NULL,
	`line` integer NOT NULL,
	`account` text NOT NULL,
	`vendor_id` text,
	`sub_order_id` text,
	`component` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`order_id` text,
	`payment_id` text,
	`refund_id` text,
	`transfer_id` text,
	`at` text NOT NULL,
	PRIMARY KEY(`journal_id`, `line`),
	FOREIGN KEY (`journal_id`) REFERENCES `ledger_journals`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ledger_entries_account" CHECK("ledger_entries"."account" in ('shopper_payments','platform_fees','vendor_payable','vendor_transfer_pending','vendor_paid','refunds','platform_reassignment_cost','provider_fees','vendor_carry_forward')),
	CONSTRAINT "ledger_entries_vendor" CHECK(("ledger_entries"."account" in ('vendor_payable','vendor_transfer_pending','vendor_paid','vendor_carry_forward')) = ("ledger_entries"."vendor_id" is not null)),
	CONSTRAINT "ledger_entries_names" CHECK(coalesce("ledger_entries"."order_id", "ledger_entries"."sub_order_id", "ledger_entries"."payment_id", "ledger_entries"."refund_id", "ledger_entries"."transfer_id") is not null),
	CONSTRAINT "ledger_entries_amount" CHECK("ledger_entries"."amount_minor" <> 0)
);
--> statement-breakpoint
CREATE INDEX `ledger_entries_sub_order` ON `ledger_entries` (`sub_order_id`,`account`);--> statement-breakpoint
CREATE INDEX `ledger_entries_vendor` ON `ledger_entries` (`vendor_id`,`account`,`component`);--> statement-breakpoint
CREATE INDEX `ledger_entries_account` ON `ledger_entries` (`account`,`component`,`currency`);--> statement-breakpoint
CREATE TABLE `ledger_journals` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`source_id` text NOT NULL,
	`currency` text NOT NULL,
	`order_id` text,
	`payment_id` text,
	`refund_id` text,
	`transfer_id` text,
	`reassignment_id` text,
	`attempt` text NOT NULL,
	`at` text NOT NULL,
	CONSTRAINT "ledger_journals_kind" CHECK("ledger_journals"."kind" in ('payment_captured','refund','reassignment','transfer_pending','transfer_confirmed','transfer_failed','transfer_reversed','carry_forward','provider_fee'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_journals_source` ON `ledger_journals` (`kind`,`source_id`);--> statement-breakpoint
CREATE INDEX `ledger_journals_at` ON `ledger_journals` (`at`,`id`);--> statement-breakpoint
CREATE INDEX `ledger_journals_order` ON `ledger_journals` (`order_id`);--> statement-breakpoint
ALTER TABLE `credit_notes` ADD `vendor_id` text REFERENCES vendors(id);--> statement-breakpoint
ALTER TABLE `credit_notes` ADD `financial_year` integer;--> statement-breakpoint
ALTER TABLE `credit_notes` ADD `number` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `credit_notes_number` ON `credit_notes` (`vendor_id`,`financial_year`,`number`);