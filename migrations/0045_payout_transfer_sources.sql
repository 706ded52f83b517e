ALTER TABLE `payout_transfers` ADD `source_transaction` text;--> statement-breakpoint
-- Transfers written before the column were all asked for with their order's charge as the source.
UPDATE `payout_transfers` SET `source_transaction` = (
  SELECT p.`charge_id` FROM `payments` p WHERE p.`order_id` = `payout_transfers`.`order_id`
);
