CREATE TABLE `customer_feeds` (
	`customer_id` text PRIMARY KEY NOT NULL,
	`first_ticket_at` text NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE no action
);
