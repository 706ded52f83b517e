CREATE TABLE `vendor_accounts` (
	`vendor_id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `vendor_accounts_email` ON `vendor_accounts` (`email`);--> statement-breakpoint
CREATE TABLE `vendor_invites` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`email` text NOT NULL,
	`business_name` text,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`consumed_at` text,
	`vendor_id` text,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `vendor_invites_token` ON `vendor_invites` (`token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `vendor_invites_vendor` ON `vendor_invites` (`vendor_id`);--> statement-breakpoint
CREATE TABLE `vendor_onboarding` (
	`vendor_id` text PRIMARY KEY NOT NULL,
	`step` text NOT NULL,
	`submitted_at` text,
	`decided_at` text,
	`reject_reason` text,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `vendor_onboarding_submitted` ON `vendor_onboarding` (`submitted_at`);--> statement-breakpoint
CREATE TABLE `vendor_sign_in_links` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`vendor_id` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`consumed_at` text,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `vendor_sign_in_links_token` ON `vendor_sign_in_links` (`token_hash`);--> statement-breakpoint
ALTER TABLE `vendors` ADD `onboarding` text DEFAULT 'approved' NOT NULL;