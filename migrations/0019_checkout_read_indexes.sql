DROP INDEX `sub_orders_vendor_created`;--> statement-breakpoint
CREATE INDEX `sub_orders_vendor_created` ON `sub_orders` (`vendor_id`,`created_at`,`status`,`order_id`);--> statement-breakpoint
CREATE INDEX `orders_customer_unpaid` ON `orders` (`customer_id`,`hold_expires_at`) WHERE "orders"."status" = 'pending_payment';