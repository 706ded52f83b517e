ALTER TABLE `notifications` ADD `last_attempt_at` text;--> statement-breakpoint
ALTER TABLE `notifications` ADD `lease_until` text;--> statement-breakpoint
ALTER TABLE `notifications` ADD `next_attempt_at` text;--> statement-breakpoint
CREATE INDEX `notifications_attempts` ON `notifications` (`channel`,`last_attempt_at`);