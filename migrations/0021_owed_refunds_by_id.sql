PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_pending_refunds` (
	`id` text PRIMARY KEY NOT NULL,
	`sub_order_id` text NOT NULL,
	`order_id` text NOT NULL,
	`payment_id` text NOT NULL,
	`kind` text DEFAULT 'cancel' NOT NULL,
	`amount_minor` integer NOT NULL,
	`adjustment_minor` integer DEFAULT 0 NOT NULL,
	`currency` text NOT NULL,
	`reason` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` text NOT NULL,
	`settled_at` text,
	FOREIGN KEY (`sub_order_id`) REFERENCES `sub_orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "pending_refunds_amount" CHECK("__new_pending_refunds"."amount_minor" > 0)
);
--> statement-breakpoint
-- Every row owed so far is a cancel's, keyed by its sub-order: its id is the key the cancel refunds under.
INSERT INTO `__new_pending_refunds`("id", "sub_order_id", "order_id", "payment_id", "kind", "amount_minor", "adjustment_minor", "currency", "reason", "attempts", "last_error", "created_at", "settled_at") SELECT 'refund:sub:' || "sub_order_id", "sub_order_id", "order_id", "payment_id", 'cancel', "amount_minor", 0, "currency", "reason", "attempts", "last_error", "created_at", "settled_at" FROM `pending_refunds`;--> statement-breakpoint
DROP TABLE `pending_refunds`;--> statement-breakpoint
ALTER TABLE `__new_pending_refunds` RENAME TO `pending_refunds`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `pending_refunds_open` ON `pending_refunds` (`created_at`,`id`) WHERE "pending_refunds"."settled_at" is null;--> statement-breakpoint
CREATE INDEX `pending_refunds_sub_order` ON `pending_refunds` (`sub_order_id`);--> statement-breakpoint
CREATE INDEX `pending_refunds_order_open` ON `pending_refunds` (`order_id`) WHERE "pending_refunds"."settled_at" is null;--> statement-breakpoint
ALTER TABLE `line_items` ADD `unit_adjustment_minor` integer DEFAULT 0 NOT NULL;