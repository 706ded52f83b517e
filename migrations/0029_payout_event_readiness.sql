ALTER TABLE `payout_events` ADD `readiness` text;--> statement-breakpoint
CREATE INDEX `payout_events_account` ON `payout_events` (`account_id`,`occurred_at`);