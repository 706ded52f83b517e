CREATE TABLE `cancellation_notes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` text NOT NULL,
	`at` text NOT NULL,
	`actor_role` text NOT NULL,
	`actor_id` text,
	`reason` text NOT NULL,
	`note` text NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `cancellation_notes_order` ON `cancellation_notes` (`order_id`,`id`);--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `expires_at` text;--> statement-breakpoint
ALTER TABLE `skus` ADD `sale_max_units_per_customer` integer;