ALTER TABLE `notifications` ADD `vendor_id` text REFERENCES vendors(id);--> statement-breakpoint
-- Vendor messages so far were recorded locally, addressed `vendor:<id>`.
UPDATE `notifications` SET `vendor_id` = substr(`recipient`, 8) WHERE `recipient` LIKE 'vendor:%' AND `customer_id` IS NULL;--> statement-breakpoint
CREATE INDEX `notifications_vendor` ON `notifications` (`vendor_id`,`created_at`,`id`) WHERE "notifications"."vendor_id" is not null;--> statement-breakpoint
ALTER TABLE `vendors` ADD `contact_phone` text;--> statement-breakpoint
ALTER TABLE `vendors` ADD `contact_email` text;