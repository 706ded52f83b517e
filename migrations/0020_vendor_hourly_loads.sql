CREATE TABLE `vendor_hourly_loads` (
	`vendor_id` text NOT NULL,
	`hour` text NOT NULL,
	`sub_orders` integer NOT NULL,
	PRIMARY KEY(`vendor_id`, `hour`)
);
--> statement-breakpoint
-- The count is kept by the database itself, so no code path that writes sub-orders (checkout,
-- cancellations, the SLA watcher, reassignment, the seed) can leave it wrong. The hour is the first
-- 13 characters of `created_at` (`2026-11-27T10`); a sub-order counts while it is not cancelled.
INSERT INTO `vendor_hourly_loads` (`vendor_id`, `hour`, `sub_orders`)
SELECT `vendor_id`, substr(`created_at`, 1, 13), count(*) FROM `sub_orders`
WHERE `status` <> 'cancelled'
GROUP BY `vendor_id`, substr(`created_at`, 1, 13);--> statement-breakpoint
CREATE TRIGGER `vendor_hourly_loads_insert` AFTER INSERT ON `sub_orders`
WHEN NEW.`status` <> 'cancelled'
BEGIN
  INSERT INTO `vendor_hourly_loads` (`vendor_id`, `hour`, `sub_orders`)
  VALUES (NEW.`vendor_id`, substr(NEW.`created_at`, 1, 13), 1)
  ON CONFLICT (`vendor_id`, `hour`) DO UPDATE SET `sub_orders` = `sub_orders` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `vendor_hourly_loads_uncount` AFTER UPDATE OF `status`, `vendor_id`, `created_at` ON `sub_orders`
WHEN OLD.`status` <> 'cancelled' AND (NEW.`status` = 'cancelled' OR NEW.`vendor_id` IS NOT OLD.`vendor_id`
  OR substr(NEW.`created_at`, 1, 13) IS NOT substr(OLD.`created_at`, 1, 13))
BEGIN
  UPDATE `vendor_hourly_loads` SET `sub_orders` = `sub_orders` - 1
  WHERE `vendor_id` = OLD.`vendor_id` AND `hour` = substr(OLD.`created_at`, 1, 13);
END;--> statement-breakpoint
CREATE TRIGGER `vendor_hourly_loads_count` AFTER UPDATE OF `status`, `vendor_id`, `created_at` ON `sub_orders`
WHEN NEW.`status` <> 'cancelled' AND (OLD.`status` = 'cancelled' OR NEW.`vendor_id` IS NOT OLD.`vendor_id`
  OR substr(NEW.`created_at`, 1, 13) IS NOT substr(OLD.`created_at`, 1, 13))
BEGIN
  INSERT INTO `vendor_hourly_loads` (`vendor_id`, `hour`, `sub_orders`)
  VALUES (NEW.`vendor_id`, substr(NEW.`created_at`, 1, 13), 1)
  ON CONFLICT (`vendor_id`, `hour`) DO UPDATE SET `sub_orders` = `sub_orders` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `vendor_hourly_loads_delete` AFTER DELETE ON `sub_orders`
WHEN OLD.`status` <> 'cancelled'
BEGIN
  UPDATE `vendor_hourly_loads` SET `sub_orders` = `sub_orders` - 1
  WHERE `vendor_id` = OLD.`vendor_id` AND `hour` = substr(OLD.`created_at`, 1, 13);
END;
