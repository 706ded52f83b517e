-- Postal codes are now stored and looked up by their key (src/domain/geo.ts postalCodeKey), so a
-- shopper's "560 034" or "560-034" finds 560034. Rows imported before were kept upper case with
-- single spaces, letters, digits and dashes only, so dropping spaces and dashes keys them. Each gets
-- a keyed copy beside it; a key another row already holds (keyed before) keeps that row. The spaced
-- rows stay, so the release before this one, which looks codes up as spelled, still finds them
-- while a deploy is under way.
INSERT OR IGNORE INTO `postal_codes` (`country`, `code`, `place`, `lat`, `lng`)
SELECT `country`, replace(replace(`code`, ' ', ''), '-', ''), `place`, `lat`, `lng` FROM `postal_codes`
WHERE `code` LIKE '% %' OR `code` LIKE '%-%';
