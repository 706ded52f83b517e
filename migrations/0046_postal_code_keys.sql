-- Postal codes are now stored and looked up by their key (src/domain/geo.ts postalCodeKey), so a
-- shopper's "560 034" or "560-034" finds 560034. Rows imported before were kept upper case with
-- single spaces, letters, digits and dashes only, so dropping spaces and dashes keys them. A row
-- whose key another row already holds (keyed before, or re-keyed just now) is that code again and
-- is dropped.
UPDATE OR IGNORE `postal_codes` SET `code` = replace(replace(`code`, ' ', ''), '-', '')
WHERE `code` LIKE '% %' OR `code` LIKE '%-%';--> statement-breakpoint
DELETE FROM `postal_codes` WHERE `code` LIKE '% %' OR `code` LIKE '%-%';
