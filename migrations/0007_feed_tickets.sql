CREATE TABLE `feed_tickets` (
	`ticket_hash` text PRIMARY KEY NOT NULL,
	`feed` text NOT NULL,
	`role` text NOT NULL,
	`principal_id` text NOT NULL,
	`token_id` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	CONSTRAINT "feed_tickets_role" CHECK("feed_tickets"."role" in ('admin','ops','vendor','customer'))
);
--> statement-breakpoint
CREATE INDEX `feed_tickets_expiry` ON `feed_tickets` (`expires_at`);