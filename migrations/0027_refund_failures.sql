ALTER TABLE `pending_refunds` ADD `replaces_refund_id` text;--> statement-breakpoint
ALTER TABLE `pending_refunds` ADD `awaiting_ops` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `pending_refunds` ADD `settled_note` text;--> statement-breakpoint
CREATE INDEX `pending_refunds_replaces` ON `pending_refunds` (`replaces_refund_id`) WHERE "pending_refunds"."replaces_refund_id" is not null;--> statement-breakpoint
ALTER TABLE `refunds` ADD `failed_at` text;--> statement-breakpoint
ALTER TABLE `refunds` ADD `failure_reason` text;--> statement-breakpoint
CREATE INDEX `refunds_provider_ref` ON `refunds` (`provider_ref`);