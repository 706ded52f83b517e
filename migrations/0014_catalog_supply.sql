CREATE TABLE `product_images` (
	`id` text PRIMARY KEY NOT NULL,
	`product_id` text NOT NULL,
	`vendor_id` text,
	`width` integer NOT NULL,
	`height` integer NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `product_images_product` ON `product_images` (`product_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `product_import_pages` (
	`import_id` text NOT NULL,
	`page` integer NOT NULL,
	`rows` text NOT NULL,
	`row_count` integer NOT NULL,
	`applied_at` text,
	`created_products` integer DEFAULT 0 NOT NULL,
	`created_skus` integer DEFAULT 0 NOT NULL,
	`offers` integer DEFAULT 0 NOT NULL,
	`updated_skus` integer DEFAULT 0 NOT NULL,
	`stock_levels` integer DEFAULT 0 NOT NULL,
	`errors` text,
	PRIMARY KEY(`import_id`, `page`),
	FOREIGN KEY (`import_id`) REFERENCES `product_imports`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `product_imports` (
	`id` text PRIMARY KEY NOT NULL,
	`vendor_id` text NOT NULL,
	`content_hash` text NOT NULL,
	`total_rows` integer NOT NULL,
	`valid_rows` integer NOT NULL,
	`pages` integer NOT NULL,
	`errors` text NOT NULL,
	`invalid_rows` integer NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `product_imports_vendor_hash` ON `product_imports` (`vendor_id`,`content_hash`);--> statement-breakpoint
CREATE INDEX `product_imports_vendor` ON `product_imports` (`vendor_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `skus_barcode` ON `skus` (`barcode`);