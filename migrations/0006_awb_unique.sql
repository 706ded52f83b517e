-- The unique index below would fail on existing duplicates without saying which rows they are.
-- Instead the migration stops first, naming them: an AWB given to two live sub-orders must be
-- corrected by hand (the wrong one re-dispatched with its real AWB) before this can apply.
-- RAISE takes its message from the row being inserted, and the whole migration rolls back.
CREATE TABLE `_awb_unique_guard` (`problem` text NOT NULL);--> statement-breakpoint
CREATE TRIGGER `_awb_unique_guard_abort` BEFORE INSERT ON `_awb_unique_guard` BEGIN SELECT RAISE(ABORT, NEW.`problem`); END;--> statement-breakpoint
INSERT INTO `_awb_unique_guard` (`problem`)
SELECT 'AWB in use by more than one sub-order that is not cancelled (carrier awb: sub-order ids): ' || group_concat(`carrier` || ' ' || `awb` || ': ' || `ids`, '; ')
FROM (
  SELECT `carrier`, `awb`, group_concat(`id`, ', ') AS `ids`
  FROM `sub_orders`
  WHERE `carrier` IS NOT NULL AND `awb` IS NOT NULL AND `status` <> 'cancelled'
  GROUP BY `carrier`, `awb`
  HAVING count(*) > 1
)
HAVING count(*) > 0;--> statement-breakpoint
DROP TRIGGER `_awb_unique_guard_abort`;--> statement-breakpoint
DROP TABLE `_awb_unique_guard`;--> statement-breakpoint
CREATE UNIQUE INDEX `sub_orders_carrier_awb_live` ON `sub_orders` (`carrier`,`awb`) WHERE "sub_orders"."awb" is not null and "sub_orders"."status" <> 'cancelled';
