CREATE TABLE `pending_refunds` (
	`sub_order_id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`payment_id` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`reason` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` text NOT NULL,
	`settled_at` text,
	FOREIGN KEY (`sub_order_id`) REFERENCES `sub_orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "pending_refunds_amount" CHECK("pending_refunds"."amount_minor" > 0)
);
--> statement-breakpoint
CREATE INDEX `pending_refunds_open` ON `pending_refunds` (`created_at`,`sub_order_id`) WHERE "pending_refunds"."settled_at" is null;--> statement-breakpoint
CREATE TABLE `return_claims` (
	`id` text PRIMARY KEY NOT NULL,
	`sub_order_id` text NOT NULL,
	`lines` text NOT NULL,
	`claim` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`sub_order_id`) REFERENCES `sub_orders`(`id`) ON UPDATE no action ON DELETE no action
);
