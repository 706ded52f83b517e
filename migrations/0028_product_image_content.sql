ALTER TABLE `product_images` ADD `content_sha256` text;--> statement-breakpoint
CREATE UNIQUE INDEX `product_images_content` ON `product_images` (`product_id`,`content_sha256`);