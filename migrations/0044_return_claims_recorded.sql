ALTER TABLE `return_claims` ADD `recorded_at` text;--> statement-breakpoint
CREATE INDEX `return_claims_unrecorded` ON `return_claims` (`created_at`) WHERE "return_claims"."recorded_at" is null;--> statement-breakpoint
-- Claims whose return was recorded before the column: their timeline event carries the claim's key.
UPDATE `return_claims` SET `recorded_at` = (
  SELECT min(e.`at`) FROM `order_events` e WHERE e.`dedupe_key` = `return_claims`.`id` AND e.`type` = 'sub_order.returned'
) WHERE `recorded_at` IS NULL;
