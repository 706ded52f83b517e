-- A vendor's refunded figure now leaves out the refunds of its cancelled sub-orders, as its sales do
-- (src/db/rollups.ts). Only a day with a vendor's cancellation and a refund can hold the old figure:
-- each such day is marked dirty, and the next refresh recomputes it from the orders, newest first.
INSERT INTO `rollup_dirty_days` (`day`, `marked_at`)
SELECT DISTINCT `day`, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM `rollup_vendor_days`
WHERE `cancelled_sub_orders` > 0 AND `refunded_minor` > 0
ON CONFLICT (`day`) DO NOTHING;
