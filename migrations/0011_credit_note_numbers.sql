-- Credit notes issued before numbering existed take their vendor (their sub-order's), the financial
-- year they were issued in (India's, April to March in IST: created_at is UTC, IST is UTC+05:30, so
-- the year is the calendar year of created_at + 330 minutes, less one before April) and gap-free
-- numbers per vendor and year in creation order (ties by id); the counters resume after them.
UPDATE `credit_notes` SET `vendor_id` = (SELECT `vendor_id` FROM `sub_orders` WHERE `sub_orders`.`id` = `credit_notes`.`sub_order_id`);
--> statement-breakpoint
UPDATE `credit_notes` SET `financial_year` = CAST(strftime('%Y', `created_at`, '+330 minutes') AS INTEGER) - (CASE WHEN CAST(strftime('%m', `created_at`, '+330 minutes') AS INTEGER) < 4 THEN 1 ELSE 0 END);
--> statement-breakpoint
UPDATE `credit_notes` SET `number` = (
  SELECT count(*) FROM `credit_notes` AS `earlier`
  WHERE `earlier`.`vendor_id` = `credit_notes`.`vendor_id`
    AND `earlier`.`financial_year` = `credit_notes`.`financial_year`
    AND (`earlier`.`created_at`, `earlier`.`id`) <= (`credit_notes`.`created_at`, `credit_notes`.`id`)
);
--> statement-breakpoint
INSERT INTO `credit_note_counters` (`vendor_id`, `financial_year`, `last`)
SELECT `vendor_id`, `financial_year`, max(`number`) FROM `credit_notes` GROUP BY `vendor_id`, `financial_year`;
