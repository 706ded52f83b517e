CREATE TABLE `bridge_prune_cursor` (
	`id` integer PRIMARY KEY NOT NULL,
	`applied_at` text NOT NULL,
	`row_id` integer NOT NULL,
	CONSTRAINT "bridge_prune_cursor_one" CHECK("bridge_prune_cursor"."id" = 1)
);
--> statement-breakpoint
CREATE INDEX `bridge_rows_finished` ON `bridge_rows` (`applied_at`,`id`) WHERE "bridge_rows"."status" = 'applied';--> statement-breakpoint
CREATE INDEX `bridge_rows_vendor_applied` ON `bridge_rows` (`vendor_id`,`applied_at`) WHERE "bridge_rows"."status" = 'applied';