ALTER TABLE `reassignments` ADD `stock_move` text;--> statement-breakpoint
CREATE INDEX `reassignments_stock_pending` ON `reassignments` (`created_at`) WHERE "reassignments"."stock_move" is not null;